/**
 * ReMO as Talaria publishes it ({@code remo}, docs/talaria.md): each linear layer's input masked with a fresh
 * combination of a public base ({@link dev.veil.node.remo.MaskedLinear}), the server's products restored from
 * terms precomputed once per base ({@link dev.veil.node.remo.RestorationPool}). It leaks to the null-space
 * attack (docs/attacks.md); it is kept for comparison, never a default.
 */
package dev.veil.node.remo;
