package dev.veil.attack.shares;

import dev.veil.attack.AttackTarget;
import dev.veil.attack.SchemeAttacks;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.shares.SharesScheme;
import java.util.Arrays;
import java.util.List;

/**
 * Shares under attack from each adversary it has: both servers joined (as colluding servers would join them), then
 * each server alone ({@link ShareViews}).
 */
public final class SharesAttacks implements SchemeAttacks {
    @Override
    public String scheme() {
        return "shares";
    }

    @Override
    public List<AttackTarget> views(Scheme scheme, Model model, String modelId, AttackTarget ownNode) {
        var config = ((SharesScheme) scheme).config();
        return Arrays.stream(ShareViews.View.values()).map(v -> (AttackTarget) new SharesAttackScheme(model, modelId, config, v)).toList();
    }
}
