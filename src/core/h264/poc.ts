import type { SliceHeader } from './slice.js';
import type { Sps } from './sps.js';

/**
 * Picture order count decoding, H.264 §8.2.1 (types 0, 1 and 2), fed one picture (its first slice
 * header) at a time in decoding order.
 */
export class PocDecoder {
  // Type 0 state (§8.2.1.1): from the previous reference picture.
  private prevPocMsb = 0;
  private prevPocLsb = 0;
  // Types 1 and 2 (§8.2.1.2, §8.2.1.3): from the previous picture.
  private prevFrameNumOffset = 0;
  private prevFrameNum = 0;
  private prevHadMmco5 = false; // previous picture (types 1, 2)
  private prevRefHadMmco5 = false; // previous reference picture (type 0)
  private prevRefWasBottomField = false;
  private prevRefTopPocAfterMmco5 = 0;

  /** Forget all history (e.g. after a discontinuity); the next picture should be an IDR. */
  reset(): void {
    this.prevPocMsb = 0;
    this.prevPocLsb = 0;
    this.prevFrameNumOffset = 0;
    this.prevFrameNum = 0;
    this.prevHadMmco5 = false;
    this.prevRefHadMmco5 = false;
  }

  /** Returns PicOrderCnt of the picture: Min(Top, Bottom) for frames, the field's count for fields. */
  decode(h: SliceHeader, sps: Sps): number {
    let top: number;
    let bottom: number;
    const maxFrameNum = 2 ** sps.log2MaxFrameNum;
    if (sps.picOrderCntType === 0) {
      let prevMsb: number;
      let prevLsb: number;
      if (h.idr) {
        prevMsb = 0;
        prevLsb = 0;
      } else if (this.prevRefHadMmco5) {
        prevMsb = 0;
        prevLsb = this.prevRefWasBottomField ? 0 : this.prevRefTopPocAfterMmco5;
      } else {
        prevMsb = this.prevPocMsb;
        prevLsb = this.prevPocLsb;
      }
      const maxLsb = 2 ** sps.log2MaxPocLsb;
      const lsb = h.picOrderCntLsb;
      let msb: number;
      if (lsb < prevLsb && prevLsb - lsb >= maxLsb / 2) msb = prevMsb + maxLsb;
      else if (lsb > prevLsb && lsb - prevLsb > maxLsb / 2) msb = prevMsb - maxLsb;
      else msb = prevMsb;
      top = msb + lsb;
      bottom = h.fieldPic ? msb + lsb : top + h.deltaPicOrderCntBottom;
      // §8.2.1.1: the next picture continues from this reference picture's PicOrderCntMsb and
      // pic_order_cnt_lsb, whether it is a frame or a field of either parity (only after an MMCO 5
      // does a bottom field count as 0, above).
      if (h.nalRefIdc !== 0) {
        this.prevPocMsb = msb;
        this.prevPocLsb = lsb;
      }
    } else {
      const prevFrameNumOffset = this.prevHadMmco5 ? 0 : this.prevFrameNumOffset;
      let frameNumOffset: number;
      if (h.idr) frameNumOffset = 0;
      else if (this.prevFrameNum > h.frameNum) frameNumOffset = prevFrameNumOffset + maxFrameNum;
      else frameNumOffset = prevFrameNumOffset;

      if (sps.picOrderCntType === 1) {
        const cycle = sps.offsetForRefFrame.length;
        let absFrameNum = cycle !== 0 ? frameNumOffset + h.frameNum : 0;
        if (h.nalRefIdc === 0 && absFrameNum > 0) absFrameNum--;
        let expected = 0;
        if (absFrameNum > 0) {
          const cycleCnt = Math.floor((absFrameNum - 1) / cycle);
          const inCycle = (absFrameNum - 1) % cycle;
          let delta = 0;
          for (const offset of sps.offsetForRefFrame) delta += offset;
          expected = cycleCnt * delta;
          for (let i = 0; i <= inCycle; i++) expected += sps.offsetForRefFrame[i] ?? 0;
        }
        if (h.nalRefIdc === 0) expected += sps.offsetForNonRefPic;
        if (!h.fieldPic) {
          top = expected + h.deltaPicOrderCnt0;
          bottom = top + sps.offsetForTopToBottomField + h.deltaPicOrderCnt1;
        } else if (!h.bottomField) {
          top = bottom = expected + h.deltaPicOrderCnt0;
        } else {
          top = bottom = expected + sps.offsetForTopToBottomField + h.deltaPicOrderCnt0;
        }
      } else {
        const temp = h.idr
          ? 0
          : h.nalRefIdc === 0
            ? 2 * (frameNumOffset + h.frameNum) - 1
            : 2 * (frameNumOffset + h.frameNum);
        top = bottom = temp;
      }
      this.prevFrameNumOffset = frameNumOffset;
    }

    let poc = h.fieldPic ? (h.bottomField ? bottom : top) : Math.min(top, bottom);
    // §8.2.1: after memory_management_control_operation 5 the picture's counts are rebased to 0.
    this.prevHadMmco5 = h.mmco5;
    if (h.mmco5) {
      const temp = poc;
      top -= temp;
      poc = 0;
      this.prevFrameNum = 0;
      this.prevFrameNumOffset = 0;
    } else {
      this.prevFrameNum = h.frameNum;
    }
    if (h.nalRefIdc !== 0) {
      this.prevRefHadMmco5 = h.mmco5;
      this.prevRefWasBottomField = h.fieldPic && h.bottomField;
      this.prevRefTopPocAfterMmco5 = top;
    }
    return poc;
  }
}
