# bench/proc_cpu.sh, sourced by bench/auth_cost.sh and bench/floors.sh: CPU time of processes from /proc.
# cpu_ticks PID...: the sum of utime+stime (clock ticks, getconf CLK_TCK) of those processes (a vanished one
# counts 0).
cpu_ticks() {
  local pid total=0 stat
  for pid in "$@"; do
    stat=$(cat /proc/"$pid"/stat 2>/dev/null) || continue
    stat=${stat##*) }  # the fields after the command name, which may hold spaces
    read -r -a fields <<<"$stat"
    total=$((total + fields[11] + fields[12]))  # utime, stime: fields 14 and 15 of stat(5)
  done
  echo $total
}
