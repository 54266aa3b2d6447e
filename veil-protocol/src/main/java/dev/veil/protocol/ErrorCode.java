package dev.veil.protocol;

/** Why a call failed; sent in ERROR frames (the numeric code) and carried by {@link ProtocolException}. */
public enum ErrorCode {
    BAD_FRAME(1), UNSUPPORTED_VERSION(2), UNKNOWN_MODEL(3), BAD_SHAPE(4), TOO_LARGE(5), NOT_GREETED(6),
    SERVER_ERROR(7), TIMEOUT(8), CLOSED(9), NOT_ATTESTED(10), BUSY(11);

    public final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public static ErrorCode of(int code) {
        for (ErrorCode e : values()) if (e.code == code) return e;
        return SERVER_ERROR;
    }
}
