#!/usr/bin/env bash
# Anchor synth wall time: a STEPS-step integ-tests app (bench/gen_cdk_app.js)
# synthesized RUNS times, median wall ms, two ways:
#   cli   `cdk synth --quiet` end to end (the fair peer of `vigil synth`)
#   node  `node app.js` with CDK_OUTDIR set: the app alone, which is what the
#         CLI runs inside (minus its own start-up and assembly reading)
# Plus the size of what it deploys: the assertion stack's template and
# resource count, and the handler asset zipped (deflate) as it would be
# uploaded (bench/zip_size.py).
#
#   bench/anchor_synth.sh [RUNS=5] [STEPS=50] [WAIT_EVERY=5]   -> one JSON line
#
# Needs bench/install-anchor first. Everything is written to a mktemp dir,
# removed on exit. No network: the CLI's notices, version check and telemetry
# are switched off, and with no AWS credentials in the environment and the EC2
# metadata lookup disabled its default-account lookup stays on the machine
# (checked with strace: no connect() but the nscd unix socket).
set -euo pipefail
runs="${1:-5}" steps="${2:-50}" wait_every="${3:-5}"
here="$(cd "$(dirname "$0")" && pwd)"
anchor="${VIGIL_ANCHOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/bench-anchor}"
cdk="$anchor/node_modules/.bin/cdk"
[[ -x "$cdk" ]] || { echo "run bench/install-anchor first" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ANCHOR_DIR="$anchor" node "$here/gen_cdk_app.js" "$tmp/app" "$steps" "$wait_every" >/dev/null
cd "$tmp/app"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
export AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true

now_ns() { date +%s%N; }
# time_runs LABEL CMD...: one unmeasured warm-up (hot page cache), then RUNS
# timed runs, each from a clean output dir; prints the ms, one per line.
time_runs() {
  local i t0 t1
  for ((i = 0; i <= runs; i++)); do
    rm -rf cdk.out
    t0=$(now_ns)
    "$@" >/dev/null 2>&1
    t1=$(now_ns)
    ((i > 0)) && echo $(((t1 - t0) / 1000))
  done
}
cli_us=$(time_runs "$cdk" synth --quiet --no-notices -o cdk.out)
node_us=$(CDK_OUTDIR=cdk.out time_runs node app.js)

# Leave one assembly behind for the size figures.
"$cdk" synth --quiet --no-notices -o cdk.out >/dev/null 2>&1

artifact=$(python3 "$here/zip_size.py" "$(ls -d cdk.out/asset.*.bundle | head -1)" anchor-handler)
python3 - "$steps" "$wait_every" "$cli_us" "$node_us" "$artifact" <<'EOF'
import glob, json, os, statistics, sys
steps, wait_every, cli, node, artifact = sys.argv[1:6]
ms = lambda s: [int(x) / 1000 for x in s.split()]
tpl_path = glob.glob("cdk.out/*DeployAssert*.template.json")[0]
types = {}
for r in json.load(open(tpl_path))["Resources"].values():
    types[r["Type"]] = types.get(r["Type"], 0) + 1
art = json.loads(artifact)
print(json.dumps({
    "side": "anchor", "steps": int(steps), "wait_every": int(wait_every),
    "cdk_synth_ms_median": statistics.median(ms(cli)), "cdk_synth_ms": ms(cli),
    "node_app_ms_median": statistics.median(ms(node)), "node_app_ms": ms(node),
    "assert_template_bytes": os.path.getsize(tpl_path),
    "assert_resources": sum(types.values()), "assert_resource_types": types,
    "handler_asset_bytes": art["unzipped_bytes"], "handler_zip_bytes": art["zip_bytes"],
}))
EOF
