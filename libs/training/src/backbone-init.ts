import type { StateDict } from '@resdet/nn';

/**
 * Maps an ImageNet ResNet state dict (torchvision `resnet*` keys: `conv1.weight`, `layer1.0.bn1.running_mean`,
 * …) onto a detector's body (`backbone.body.conv1.weight`, …), dropping the classifier (`fc.*`). Keys already
 * starting with `backbone.`/`rpn.`/`roi_heads.` (a detector checkpoint) are kept as they are.
 */
export function backboneInitStateDict(sd: StateDict): { sd: StateDict; mapped: number; dropped: string[] } {
  const out: StateDict = new Map();
  const dropped: string[] = [];
  let mapped = 0;
  for (const [k, v] of sd) {
    if (/^(backbone|rpn|roi_heads)\./.test(k)) {
      out.set(k, v);
    } else if (/^(conv1|bn1|layer[1-4])\./.test(k)) {
      out.set(`backbone.body.${k}`, v);
      mapped++;
    } else {
      dropped.push(k);
    }
  }
  return { sd: out, mapped, dropped };
}
