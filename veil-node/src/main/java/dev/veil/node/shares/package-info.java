/**
 * Two-server additive secret sharing ({@code shares}): each linear input, encoded in the ring as the plain exact
 * mode does, is split into X − R for weights server A and R for weights server B, R uniform and fresh per call;
 * the node adds the replies. Secret random combinations of a call's rows, shared the same way, check the
 * replies without the weights. Private as long as the two servers do not collude (docs/shares.md).
 */
package dev.veil.node.shares;
