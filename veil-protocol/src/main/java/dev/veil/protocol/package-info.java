/**
 * What the trusted node and the weights server agree on: {@link dev.veil.protocol.Message messages}, their
 * binary {@link dev.veil.protocol.Codec codec} and {@link dev.veil.protocol.Frame frames} (PROTOCOL.md at the
 * repository root), the transports ({@code transport}) and the transcript format ({@code transcript}).
 */
package dev.veil.protocol;
