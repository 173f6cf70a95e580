#!/usr/bin/env sh
# Regenerates public/demo.h264, the clip `npm start` loops through `h264mux serve --file ... --loop`.
# 6 s of 640x360 at 30 fps, Constrained Baseline (no B-frames), an IDR every 30 frames with SPS/PPS
# repeated before each one (x264 does so for every IDR when repeat-headers=1), VUI timing 30 fps,
# and a frame counter + clock burnt in so a viewer can see the stream is live.
# Usage: sh scripts/make-demo.sh [output]   (needs ffmpeg with libx264; drawtext is optional)
set -eu
out="${1:-$(dirname "$0")/../public/demo.h264}"
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf
vf="format=yuv420p"
if [ -f "$font" ] && ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' drawtext '; then
  vf="drawtext=fontfile=$font:fontsize=36:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8:x=20:y=20:text='h264mux demo  frame %{frame_num}',drawtext=fontfile=$font:fontsize=36:fontcolor=yellow:box=1:boxcolor=black@0.6:boxborderw=8:x=20:y=h-th-28:text='t=%{pts\\:hms}',$vf"
fi
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=30:duration=6" \
  -vf "$vf" \
  -c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency \
  -x264-params "keyint=30:min-keyint=30:threads=1:scenecut=0:bframes=0:repeat-headers=1:aud=0" \
  -b:v 600k -maxrate 700k -bufsize 700k \
  -bsf:v h264_metadata=tick_rate=60:fixed_frame_rate_flag=1 \
  -f h264 "$out"
ls -l "$out"
