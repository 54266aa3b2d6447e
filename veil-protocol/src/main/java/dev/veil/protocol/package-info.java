/** Veil protocol: frames, codecs, transport and transcript format shared by both sides */
package dev.veil.protocol;
