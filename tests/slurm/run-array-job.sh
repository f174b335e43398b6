#!/usr/bin/env bash
# A single-node Slurm on localhost (slurmctld + slurmd, no munge: auth/none),
# then `tern-tune jobs` through it end to end: a two-task array job tunes
# slices of a small shape into database shards, `tern-tune merge` joins them.
#   run-array-job.sh TERN_TUNE SCRATCH_DIR
# Exits 77 (skipped) where Slurm is not installed or cannot start here.
set -euo pipefail
tune=$1 scratch=$2
skip() { echo "SKIP: $*"; exit 77; }
for tool in slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs slurm-wlm)"
done
[ "$(id -u)" -eq 0 ] || skip "starting slurmd needs root"

rm -rf "$scratch" && mkdir -p "$scratch"/{state,spool,shards}
host=$(hostname -s)
# Ports away from Slurm's defaults, so that a real cluster's daemons do not clash.
ctld_port=$((17000 + RANDOM % 1000)) slurmd_port=$((18000 + RANDOM % 1000))
cat >"$scratch/slurm.conf" <<CONF
ClusterName=tern-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$scratch/slurm.conf

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
slurmctld -D -i >"$scratch/slurmctld.out" 2>&1 & pids+=($!)
slurmd -D >"$scratch/slurmd.out" 2>&1 & pids+=($!)
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "${state:-}" != idle ]; then
  skip "Slurm could not start here (node state '${state:-none}'): $(tail -3 "$scratch"/slurm*.log "$scratch"/slurm*.out 2>/dev/null | tr '\n' ' ' | cut -c1-400)"
fi

# The lut2 slice of a small decode shape keeps each task to seconds.
"$tune" jobs --shapes 64x256 --m 1 --tasks 2 --shard-dir "$scratch/shards" \
  --extra "--strategy lut --packing lut2 --samples 1" -o "$scratch/job.sh"
job=$(sbatch --parsable "$scratch/job.sh")
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || { echo "FAIL: job $job still queued or running"; exit 1; }
for i in 0 1; do
  [ -s "$scratch/shards/shard-$i.db" ] || { echo "FAIL: task $i wrote no shard:"; cat "$scratch/shards/task-$i.log"; exit 1; }
done
"$tune" merge --db "$scratch/merged.db" "$scratch"/shards/shard-*.db
rows=$("$tune" export --db "$scratch/merged.db" --format csv | tail -n +2 | wc -l)
expected=$("$tune" space --strategy lut --shape 64x256 | awk '/valid candidates/ {print $3 / 2}')
[ "$rows" -eq "$expected" ] || { echo "FAIL: merged $rows measurements, expected $expected (the lut2 half of the lut space)"; exit 1; }
echo "PASS: array job $job: 2 tasks, $rows measurements merged"
