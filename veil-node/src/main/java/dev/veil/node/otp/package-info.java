/**
 * ReMO with one-time pads ({@code remo-otp}, docs/otp.md): every outsourced call masked with a fresh mask uniform
 * over the ring ({@link dev.veil.node.otp.OneTimePadLinear}); the restoration terms made ahead of need by the
 * trusted node, which holds the weights ({@link dev.veil.node.otp.PadPool}); the server's answers checked with
 * Freivalds' test ({@link dev.veil.node.otp.FreivaldsCheck}).
 */
package dev.veil.node.otp;
