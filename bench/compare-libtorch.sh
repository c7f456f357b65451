#!/usr/bin/env bash
# Throughput of `fovea bench` against the libtorch peer (/work/shared/peers/libtorch) on this machine.
# Runs the two in alternation (fovea first in odd rounds, the peer first in even ones, so a drifting load hits
# both alike), prints each round's pair and the median of the per-round ratios fovea/peer.
#
#   bench/compare-libtorch.sh [--model tutorial|airbench94] [--rounds 3] [--seconds 10] [--batch-size 64] [--threads N]
#
# --model airbench94 compares `fovea bench --model airbench94` with the peer's `airbench94-bench` (the same network
# and recipe on random input; --steps for the peer, 8 by default, is PEER_STEPS).
# PEER=/path/to/libtorch-peer (or the folder holding it) reuses a built peer, e.g. PEER=/tmp/peer/out;
# otherwise the peer is built once into bench/.peer/ (ignored by git). PEER_SRC overrides the peer's sources.
# FOVEA=/path/to/fovea.dll measures a fovea built elsewhere (e.g. a candidate change) instead of building this one.
# --threads sets fovea's --threads and the peer's OMP_NUM_THREADS; without it each uses its own default.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
rounds=3 seconds=10 batch=64 threads="" model=tutorial

die() { echo "compare-libtorch: $*" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --rounds) rounds="${2:?--rounds needs a value}"; shift 2 ;;
    --model) model="${2:?--model needs a value}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --batch-size) batch="${2:?--batch-size needs a value}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$model" == tutorial || "$model" == airbench94 ]] || die "--model must be tutorial or airbench94; got '$model'"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer; got '$rounds'"
[[ "$batch" =~ ^[1-9][0-9]*$ ]] || die "--batch-size must be a positive integer; got '$batch'"
[[ -z "$threads" || "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer; got '$threads'"
[[ "$seconds" =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v s="$seconds" 'BEGIN { exit !(s + 0 > 0) }' \
  || die "--seconds must be a positive number; got '$seconds'"

# The peer: given, already built here, or built now (its build script copies its sources; nothing is written there).
if [[ -n "${PEER:-}" ]]; then
  peer="$PEER"
  if [[ -d "$peer" ]]; then peer="$peer/libtorch-peer"; fi
  [[ -x "$peer" ]] || die "PEER=$PEER is not an executable libtorch-peer (or a folder holding one)"
else
  peer="$here/.peer/out/libtorch-peer"
  if [[ ! -x "$peer" ]]; then
    peer_src="${PEER_SRC:-/work/shared/peers/libtorch}"
    [[ -x "$peer_src/build.sh" ]] || die "no peer build script at $peer_src/build.sh (set PEER or PEER_SRC)"
    echo "building the libtorch peer into bench/.peer/ (once; about 500 MB)..." >&2
    mkdir -p "$here/.peer"
    # The peer is built inside this repository; these stop MSBuild from applying Fovea's Directory.*.props
    # (central package versions, warnings as errors) to it.
    echo '<Project />' >"$here/.peer/Directory.Build.props"
    echo '<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>' \
      >"$here/.peer/Directory.Packages.props"
    if ! "$peer_src/build.sh" "$here/.peer/out" >"$here/.peer/build.log" 2>&1; then
      tail -20 "$here/.peer/build.log" >&2
      die "peer build failed (log: bench/.peer/build.log)"
    fi
  fi
fi

if [[ -n "${FOVEA:-}" ]]; then
  fovea="$FOVEA"
  [[ -f "$fovea" ]] || die "FOVEA=$FOVEA is not a fovea.dll"
else
  echo "building fovea (Release)..." >&2
  dotnet build "$root/src/Fovea.Cli/Fovea.Cli.csproj" -c Release --nologo -v q >&2
  fovea="$root/src/Fovea.Cli/bin/Release/net10.0/fovea.dll"
  [[ -f "$fovea" ]] || die "fovea.dll not found at $fovea after the build"
fi

fovea_cmd=(dotnet "$fovea" bench --model "$model" --batch-size "$batch" --seconds "$seconds")
if [[ "$model" == airbench94 ]]; then
  peer_cmd=("$peer" airbench94-bench --batch "$batch" --steps "${PEER_STEPS:-8}")
else
  peer_cmd=("$peer" bench --batch "$batch")
fi
if [[ -n "$threads" ]]; then
  fovea_cmd+=(--threads "$threads")
  peer_cmd=(env "OMP_NUM_THREADS=$threads" "${peer_cmd[@]}")
fi
# The peer does not report its memory; GNU time's maximum resident set is the same figure as fovea's VmHWM.
rss_file="$(mktemp)"
trap 'rm -f "$rss_file"' EXIT
if [[ -x /usr/bin/time ]]; then peer_cmd=(/usr/bin/time -f 'peak_rss_kb=%M' -o "$rss_file" "${peer_cmd[@]}"); fi

# value KEY TEXT: the value of KEY in TEXT, whose lines hold one or more space-separated key=value pairs.
value() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2; exit }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

# run NAME CMD...: one benchmark run; its output goes to stderr for the record and to stdout for parsing.
run() {
  local name="$1" out
  shift
  out="$("$@")" || die "$name failed: $*"
  [[ -n "$(value train_images_per_s "$out")" && -n "$(value infer_images_per_s "$out")" ]] \
    || die "$name printed no throughput: $out"
  sed "s/^/  [$name] /" <<<"$out" >&2
  printf '%s\n' "$out"
}

echo "fovea=$fovea"
echo "peer=$peer"
echo "model=$model"
echo "batch_size=$batch"
echo "loadavg_start=$(load | tr ' ' '/')"
train_ratios=()
infer_ratios=()
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    f="$(run fovea "${fovea_cmd[@]}")"
    p="$(run peer "${peer_cmd[@]}")"
  else
    p="$(run peer "${peer_cmd[@]}")"
    f="$(run fovea "${fovea_cmd[@]}")"
  fi
  ft="$(value train_images_per_s "$f")" fi="$(value infer_images_per_s "$f")"
  pt="$(value train_images_per_s "$p")" pi="$(value infer_images_per_s "$p")"
  train_ratio="$(ratio "$ft" "$pt")" infer_ratio="$(ratio "$fi" "$pi")"
  train_ratios+=("$train_ratio")
  infer_ratios+=("$infer_ratio")
  peer_peak_mb="$(awk -F= '$1 == "peak_rss_kb" { printf "%.0f", $2 / 1024 }' "$rss_file")"
  echo "round=$r fovea_threads=$(value threads "$f") peer_threads=$(value threads "$p")" \
       "fovea_train=$ft peer_train=$pt fovea_infer=$fi peer_infer=$pi train_ratio=$train_ratio infer_ratio=$infer_ratio" \
       "fovea_cpu_cores=$(value train_cpu_cores "$f") fovea_peak_mb=$(value peak_working_set_mb "$f") peer_peak_mb=${peer_peak_mb:-?}" \
       "loadavg=$(load | tr ' ' '/')"
done
echo "loadavg_end=$(load | tr ' ' '/')"
echo "train_ratio=$(median "${train_ratios[@]}")"
echo "infer_ratio=$(median "${infer_ratios[@]}")"
