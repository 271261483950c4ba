#!/usr/bin/env python3
"""Builds labelled.jsonl, the labelled corpus of support conversations.

Every utterance in pools_en.py / pools_zh.py was written and labelled by meaning (see
README.md for the labelling guide). A conversation is assembled from utterances and its
labels follow from what its utterances mean, with the windows the standard states (an
upset turn needs empathy and an apology within the next two agent replies; resolution
is checked in the last three agent turns, the closing in the last two). Held-out
conversations use only utterances marked "h", which the inspector is never tuned on.

    python3 generate.py > labelled.jsonl     (deterministic: fixed seed)
"""
import json
import random

import pools_en
import pools_zh

INDICATORS = [
    "greeting", "empathy-when-upset", "apology-when-upset", "no-unnecessary-proof",
    "no-runaround", "no-rudeness", "no-blaming", "no-flat-refusal",
    "resolution-confirmed", "closing-phrase",
]
# The meaning each scored forbidden indicator must not see.
FORBIDDEN = {
    "no-unnecessary-proof": "proof", "no-runaround": "run", "no-rudeness": "rude",
    "no-blaming": "blame", "no-flat-refusal": "refuse",
}
STOCK_RESP = {
    "en": [("I understand how you feel, I'm so sorry.", {"emp", "apo"}),
           ("I understand, my apologies.", {"emp", "apo"}),
           ("Sorry about that.", {"apo"}),
           ("I can imagine how frustrating this is.", {"emp"}),
           ("Let me check.", set())],
    "zh": [("非常理解您的心情,给您带来不便非常抱歉", {"emp", "apo"}),
           ("我能理解,对不起", {"emp", "apo"}),
           ("不好意思", {"apo"}),
           ("理解您的心情", {"emp"}),
           ("请稍等", set())],
}


class Builder:
    def __init__(self, pools, lang, split, rng):
        self.p, self.lang, self.split, self.rng = pools, lang, split, rng
        self.turns = []  # (speaker, text, meanings)

    def pick(self, name):
        pool = getattr(self.p, name)
        mine = [x for x in pool if x[2] == self.split] or pool
        text, meaning, _ = self.rng.choice(mine)
        return text, set(meaning)

    def say(self, speaker, *parts):
        parts = [p for p in parts if p and p[0]]
        if not parts:
            return
        sep = " " if self.lang == "en" else ","
        text = sep.join(p[0] for p in parts)
        meaning = set().union(*(p[1] for p in parts))
        self.turns.append((speaker, text, meaning))


def weighted(rng, table):
    r = rng.random() * sum(w for _, w in table)
    for item, w in table:
        r -= w
        if r <= 0:
            return item
    return table[-1][0]


def natural(b, rng):
    kind = weighted(rng, [("upset", 45), ("calm", 20), ("harmless", 22), ("bot", 7)])
    opening = {"upset": "OPEN_UPSET_NATURAL", "calm": "OPEN_CALM",
               "harmless": "OPEN_CALM_HARMLESS", "bot": rng.choice(["OPEN_UPSET_NATURAL", "OPEN_CALM"])}[kind]
    b.say("customer", b.pick(opening))
    if kind == "bot":
        b.say("bot", b.pick("BOT_ONLY"))
        b.say("customer", b.pick("FOLLOW_UP"))
        b.say("bot", b.pick("BOT_ONLY"))
        return
    greet = b.pick(weighted(rng, [("GREET_NATURAL", 60), ("GREET_NONE", 25), ("GREET_STOCK", 15)]))
    upset = "upset" in b.turns[-1][2]
    if upset:
        resp = b.pick(weighted(rng, [("RESP_BOTH", 28), ("RESP_EMP", 14), ("RESP_APO", 16),
                                     ("RESP_NEITHER", 12), ("RESP_SARCASTIC", 11),
                                     ("RESP_MOCK_APOLOGY", 11), ("RESP_DISMISSIVE", 8)]))
    else:
        resp = b.pick("RESP_CALM")
    if rng.random() < 0.5:
        b.say("agent", greet, resp)
    else:
        b.say("agent", greet)
        b.say("agent", resp)
    b.say("customer", b.pick("FOLLOW_UP"))
    action = weighted(rng, [
        ("PROOF_NATURAL", 12), ("PROOF_NEGATED", 8), ("PROOF_HARMLESS", 4),
        ("RUN_NATURAL", 10), ("RUN_NEGATED", 8), ("REFUSE_NATURAL", 8),
        ("REFUSE_ALTERNATIVE", 7), ("BLAME_NATURAL", 8), ("BLAME_HARMLESS", 5),
        ("RUDE_NATURAL", 7), ("RUDE_HARMLESS", 8), ("SOLUTION", 10)])
    b.say("agent", b.pick(action))
    bad = action in ("PROOF_NATURAL", "RUN_NATURAL", "REFUSE_NATURAL", "BLAME_NATURAL", "RUDE_NATURAL")
    if bad and rng.random() < 0.5:
        b.say("customer", b.pick("REACT_UPSET"))
        fix = b.pick(weighted(rng, [("RESP_BOTH", 40), ("RESP_EMP", 15), ("RESP_APO", 20), ("RESP_NEITHER", 25)]))
        b.say("agent", fix, b.pick("SOLUTION"))
    else:
        b.say("customer", b.pick("REACT_NEUTRAL"))
        b.say("agent", b.pick("SOLUTION"))
    ending(b, rng, "RESO_NATURAL", "CLOSE_NATURAL")


def ending(b, rng, reso_pool, close_pool):
    reso = b.pick(weighted(rng, [(reso_pool, 60), ("RESO_NONE", 40)]))
    close = b.pick(weighted(rng, [(close_pool, 62), ("CLOSE_NONE", 38)]))
    if rng.random() < 0.35:
        b.say("agent", reso, close)
    else:
        b.say("agent", reso)
        if "reso" in reso[1] or rng.random() < 0.5:
            b.say("customer", b.pick("CUSTOMER_DONE"))
        b.say("agent", close)


def stock(b, rng):
    upset = rng.random() < 0.6
    b.say("customer", b.pick("OPEN_UPSET_STOCK" if upset else "OPEN_CALM"))
    greet = b.pick(weighted(rng, [("GREET_STOCK", 80), ("GREET_NONE", 20)]))
    if upset:
        text, meaning = rng.choice(STOCK_RESP[b.lang])
        resp = (text, set(meaning))
    else:
        resp = b.pick("RESP_CALM")
    b.say("agent", greet, resp)
    b.say("customer", b.pick("FOLLOW_UP"))
    action = weighted(rng, [("PROOF_STOCK", 4), ("RUN_STOCK", 3), ("REFUSE_STOCK", 3),
                            ("BLAME_STOCK", 3), ("RUDE_STOCK", 3), ("SOLUTION", 5)])
    b.say("agent", b.pick(action))
    b.say("customer", b.pick("REACT_NEUTRAL"))
    b.say("agent", b.pick("SOLUTION"))
    ending(b, rng, "RESO_STOCK", "CLOSE_STOCK")


ARTICLE = {
    "zh": [
        # The article's bad case: a dead charger, a looping bot, a 15-minute wait, proof.
        [("customer", "我买的充电器到货是坏的,换了几个插座都无法充电"), ("bot", "请描述您的问题"),
         ("customer", "充电器是坏的,插上没反应"), ("bot", "请描述您的问题"), ("customer", "转人工"),
         ("agent", "请提供购买凭证、产品照片和视频证明")],
        [("customer", "充电器到货就是坏的,整个过程让人火冒三丈"), ("agent", "请提供购买凭证、产品照片和视频证明")],
        [("customer", "充电器坏了,换了几个插座都充不了电,我火冒三丈"), ("agent", "订单号?"),
         ("customer", "58213"), ("agent", "请提供购买凭证和视频证明")],
        [("customer", "到货就坏了,气死我了"), ("bot", "请描述您的问题"), ("customer", "转人工"),
         ("agent", "请提供购买凭证、产品照片和视频证明"), ("customer", "???"), ("agent", "没有凭证没办法处理")],
        # The article's good case: understanding, no proof, the golden sentence.
        [("customer", "充电器到货就是坏的,我很生气"),
         ("agent", "王女士您好,我是小李,非常理解您的心情,给您带来不便非常抱歉"),
         ("customer", "那怎么办?"), ("agent", "马上为您安排补发,无需退回,也不用提供购买凭证"),
         ("customer", "好的"), ("agent", "耽误您时间了,我们下次会做得更好。请问还有其他问题吗?祝您生活愉快")],
        [("customer", "退货等了好久,太失望了"), ("agent", "您好,非常理解您的心情"),
         ("customer", "快点处理吧"), ("agent", "已为您办好退货,耽误您时间了,我们下次会做得更好"),
         ("customer", "好"), ("agent", "请问还有其他问题吗?祝您生活愉快")],
        [("customer", "充电器坏了,我很生气"), ("agent", "您好,非常理解您的心情,耽误您时间了,我们下次会做得更好"),
         ("customer", "嗯"), ("agent", "直接为您换货,不用寄回。还有其他问题吗?再见")],
        [("customer", "在吗?东西坏了,真无语"), ("agent", "亲,您好,非常理解您的心情,给您添麻烦了"),
         ("customer", "怎么处理"), ("agent", "直接给您补发,无需退回"),
         ("customer", "好的"), ("agent", "问题解决了吗?祝您生活愉快")],
    ],
    "en": [
        [("customer", "The charger I bought arrived dead, I tried several sockets and it will not charge"),
         ("bot", "Please describe your problem."), ("customer", "The charger is broken, nothing happens"),
         ("bot", "Please describe your problem."), ("customer", "Human agent please"),
         ("agent", "Please provide proof of purchase, product photos and video evidence.")],
        [("customer", "The charger arrived broken and I'm furious"),
         ("agent", "Please provide proof of purchase and video evidence.")],
        [("customer", "My charger is broken, I tried several sockets, I'm so angry"), ("agent", "Order number?"),
         ("customer", "58213"), ("agent", "Please send proof of purchase and a video proof.")],
        [("customer", "It arrived broken, this is ridiculous"), ("bot", "Please describe your problem."),
         ("customer", "human agent"), ("agent", "Please provide proof of purchase, product photos and video evidence."),
         ("customer", "???"), ("agent", "Without proof there is nothing I can do.")],
        [("customer", "The charger arrived broken, I'm angry"),
         ("agent", "Hello Anna, I'm Li. I understand how you feel, sorry for the inconvenience."),
         ("customer", "So what now?"), ("agent", "I'll send a replacement right away, no need to return it or send any proof."),
         ("customer", "OK"), ("agent", "Sorry for taking your time, we'll do better next time. Is there anything else? Have a nice day")],
        [("customer", "The return took ages, I'm very disappointed"), ("agent", "Hello, I understand how you feel."),
         ("customer", "Just sort it"), ("agent", "Your return is done. Sorry for taking your time, we will do better next time."),
         ("customer", "fine"), ("agent", "Is there anything else? Have a nice day")],
        [("customer", "The charger is broken, I'm angry"),
         ("agent", "Hello, I understand how you feel. Sorry for taking your time, we'll do better next time."),
         ("customer", "ok"), ("agent", "I'll send a replacement right away, no need to send it back. Anything else? Goodbye")],
        [("customer", "Hi, the item is broken, this is terrible"), ("agent", "Hi, I understand how you feel, my apologies."),
         ("customer", "What now?"), ("agent", "I'll send a replacement right away, no need to return it."),
         ("customer", "OK"), ("agent", "Does that solve it? Have a nice day")],
    ],
}
ARTICLE_MEANINGS = {
    # Meanings of the article's agent lines, labelled like every other utterance.
    "请提供购买凭证、产品照片和视频证明": {"proof"}, "订单号?": set(), "请提供购买凭证和视频证明": {"proof"},
    "没有凭证没办法处理": {"proof", "refuse"},
    "王女士您好,我是小李,非常理解您的心情,给您带来不便非常抱歉": {"greet", "emp", "apo"},
    "马上为您安排补发,无需退回,也不用提供购买凭证": set(),
    "耽误您时间了,我们下次会做得更好。请问还有其他问题吗?祝您生活愉快": {"apo", "reso", "close"},
    "您好,非常理解您的心情": {"greet", "emp"}, "已为您办好退货,耽误您时间了,我们下次会做得更好": {"apo"},
    "请问还有其他问题吗?祝您生活愉快": {"reso", "close"},
    "您好,非常理解您的心情,耽误您时间了,我们下次会做得更好": {"greet", "emp", "apo"},
    "直接为您换货,不用寄回。还有其他问题吗?再见": {"reso", "close"},
    "亲,您好,非常理解您的心情,给您添麻烦了": {"greet", "emp", "apo"}, "直接给您补发,无需退回": set(),
    "问题解决了吗?祝您生活愉快": {"reso", "close"},
    "Please provide proof of purchase, product photos and video evidence.": {"proof"}, "Order number?": set(),
    "Please provide proof of purchase and video evidence.": {"proof"},
    "Please send proof of purchase and a video proof.": {"proof"},
    "Without proof there is nothing I can do.": {"proof", "refuse"},
    "Hello Anna, I'm Li. I understand how you feel, sorry for the inconvenience.": {"greet", "emp", "apo"},
    "I'll send a replacement right away, no need to return it or send any proof.": set(),
    "Sorry for taking your time, we'll do better next time. Is there anything else? Have a nice day": {"apo", "reso", "close"},
    "Hello, I understand how you feel.": {"greet", "emp"},
    "Your return is done. Sorry for taking your time, we will do better next time.": {"apo"},
    "Is there anything else? Have a nice day": {"reso", "close"},
    "Hello, I understand how you feel. Sorry for taking your time, we'll do better next time.": {"greet", "emp", "apo"},
    "I'll send a replacement right away, no need to send it back. Anything else? Goodbye": {"reso", "close"},
    "Hi, I understand how you feel, my apologies.": {"greet", "emp", "apo"},
    "I'll send a replacement right away, no need to return it.": set(),
    "Does that solve it? Have a nice day": {"reso", "close"},
}
UPSET_ARTICLE_TURNS = {0}  # every article conversation opens with an upset customer


def labels(turns):
    agents = [i for i, t in enumerate(turns) if t[0] == "agent"]
    out = {}
    if not agents:
        for k in INDICATORS:
            out[k] = "not_applicable"
    else:
        out["greeting"] = "pass" if "greet" in turns[agents[0]][2] else "fail"
        for k, m in FORBIDDEN.items():
            out[k] = "fail" if any(m in turns[i][2] for i in agents) else "pass"
        out["resolution-confirmed"] = "pass" if any("reso" in turns[i][2] for i in agents[-3:]) else "fail"
        out["closing-phrase"] = "pass" if any("close" in turns[i][2] for i in agents[-2:]) else "fail"
    upset = [i for i, t in enumerate(turns) if t[0] == "customer" and "upset" in t[2]]
    for k, m in (("empathy-when-upset", "emp"), ("apology-when-upset", "apo")):
        if not upset:
            out[k] = "not_applicable"
            continue
        ok = all(any(m in turns[a][2] for a in [a for a in agents if a > u][:2]) for u in upset)
        out[k] = "pass" if ok else "fail"
    return {k: out[k] for k in INDICATORS}


def record(cid, lang, wording, split, turns, name):
    t, out_turns = 0, []
    for speaker, text, _ in turns:
        out_turns.append({"speaker": speaker, "text": text, "at": t})
        t += 20
    return {
        "id": cid, "language": lang, "wording": wording, "split": split,
        "conversation": {"conversation_id": cid, "agent": "agent@vendor",
                         "customer_display_name": name, "turns": out_turns},
        "labels": labels(turns),
    }


def main():
    rng = random.Random(22)
    plan = [("tuning", "natural", 75), ("tuning", "stock", 26), ("heldout", "natural", 37), ("heldout", "stock", 14)]
    for lang, pools, name in (("zh", pools_zh, "王女士"), ("en", pools_en, "Anna")):
        for k, convo in enumerate(ARTICLE[lang]):
            turns = [(s, x, (ARTICLE_MEANINGS.get(x, set()) if s == "agent" else ({"upset"} if i in UPSET_ARTICLE_TURNS else set())))
                     for i, (s, x) in enumerate(convo)]
            print(json.dumps(record(f"{lang}-article-{k + 1:02}", lang, "article", "tuning", turns, name), ensure_ascii=False))
        for split, wording, n in plan:
            for k in range(n):
                b = Builder(pools, lang, "h" if split == "heldout" else "t", rng)
                (natural if wording == "natural" else stock)(b, rng)
                cid = f"{lang}-{wording}-{split}-{k + 1:03}"
                print(json.dumps(record(cid, lang, wording, split, b.turns, name), ensure_ascii=False))


if __name__ == "__main__":
    main()
