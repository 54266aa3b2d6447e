package dev.veil.node;

import dev.veil.engine.model.Model;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.Channel;

/** The first exchange of every scheme with a weights server. */
public final class Greeting {
    private Greeting() {}

    /** Says hello and checks the weights server serves a model of {@code model}'s shape; returns its welcome. */
    public static Message.Welcome greet(Model model, String modelId, Channel channel) {
        var welcome = channel.call(new Message.Hello(modelId), Message.Welcome.class);
        var shape = ModelDims.of(model.config());
        if (!welcome.shape().equals(shape)) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server's model '" + welcome.modelId() + "' has shape " + welcome.shape()
                    + ", the node's has " + shape);
        }
        return welcome;
    }
}
