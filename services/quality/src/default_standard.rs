//! The default standard for support chats: 46 indicators over the four experience
//! dimensions of e-commerce service (convenience, response speed, service quality,
//! personalisation), with Chinese and English phrase lists. The ten indicators that
//! depend on what people mean (greeting, empathy and apology when the customer is
//! upset, proof demands, runarounds, rudeness, blame, flat refusals, resolution and
//! closing) also carry a [`pb::Meaning`], so they are judged in people's own words. Load it with
//! `CreateStandard` (the `symbolon` command does) and edit it like any other.

use super::pb;
use pb::{
    Dimension as D, Effect as E, IndicatorKind as K, Meaning as M, Position as P, Speaker as S,
};

struct Spec {
    id: &'static str,
    description: &'static str,
    dimension: D,
    kind: K,
    effect: E,
    weight: f64,
}

fn ind(s: Spec) -> pb::Indicator {
    pb::Indicator {
        id: s.id.into(),
        description: s.description.into(),
        dimension: s.dimension as i32,
        kind: s.kind as i32,
        effect: s.effect as i32,
        weight: s.weight,
        ..Default::default()
    }
}

fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn secs(s: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: s,
        nanos: 0,
    })
}

/// Shorthand for indicators.
macro_rules! spec {
    ($id:expr, $d:ident, $k:ident, $e:ident, $w:expr, $desc:expr) => {
        ind(Spec {
            id: $id,
            description: $desc,
            dimension: D::$d,
            kind: K::$k,
            effect: E::$e,
            weight: $w,
        })
    };
}

const UPSET: &[&str] = &[
    "生气",
    "气死",
    "太差",
    "失望",
    "火冒三丈",
    "垃圾",
    "坏了",
    "无语",
    "受不了",
    "投诉你们",
    "angry",
    "furious",
    "disappointed",
    "terrible",
    "unacceptable",
    "frustrated",
    "ridiculous",
    "broken",
    "fed up",
];

/// The default support-chat standard (not yet stored: no name, no version).
pub fn default_standard() -> pb::Standard {
    let mut v = Vec::new();

    // Convenience (便捷性).
    let mut i = spec!(
        "no-unnecessary-proof",
        Convenience,
        PhraseForbidden,
        Scored,
        6.0,
        "Do not demand receipts, photos or videos the customer should not need to provide"
    );
    i.phrases = list(&[
        "提供购买凭证",
        "购买凭证",
        "视频证明",
        "拍视频",
        "proof of purchase",
        "video evidence",
        "send a video",
        "video proof",
    ]);
    i.meaning = M::ProofDemand as i32;
    v.push(i);
    let mut i = spec!(
        "no-runaround",
        Convenience,
        PhraseForbidden,
        Scored,
        4.0,
        "Own the problem instead of sending the customer to another department"
    );
    i.phrases = list(&[
        "请联系其他部门",
        "这不归我们管",
        "找厂家",
        "联系快递公司",
        "not our department",
        "contact another department",
        "contact the manufacturer",
        "contact the courier",
    ]);
    i.meaning = M::Runaround as i32;
    v.push(i);
    let mut i = spec!(
        "human-on-request",
        Convenience,
        TriggeredResponse,
        Scored,
        5.0,
        "When the customer asks for a person, a human agent answers within 60 s"
    );
    i.trigger_phrases = list(&[
        "转人工",
        "人工客服",
        "真人",
        "human agent",
        "real person",
        "speak to a human",
        "talk to a person",
    ]);
    i.threshold = secs(60);
    i.window_turns = 1;
    v.push(i);
    let mut i = spec!(
        "bot-no-loop",
        Convenience,
        NoRepeatedReply,
        Scored,
        3.0,
        "The bot never sends the same prompt twice (no 'describe your problem' loops)"
    );
    i.speaker = S::Bot as i32;
    v.push(i);
    let mut i = spec!(
        "customer-not-repeating",
        Convenience,
        NoCustomerRepeat,
        Scored,
        3.0,
        "The customer never has to say the same thing more than twice"
    );
    i.max_count = 1;
    v.push(i);
    let mut i = spec!(
        "few-agent-turns",
        Convenience,
        MaxAgentTurns,
        Scored,
        2.0,
        "The issue is handled in at most 20 agent turns"
    );
    i.max_count = 20;
    v.push(i);
    let mut i = spec!(
        "short-conversation",
        Convenience,
        MaxDuration,
        Scored,
        2.0,
        "The conversation takes at most 30 minutes"
    );
    i.threshold = secs(1800);
    v.push(i);
    let mut i = spec!(
        "proactive-solution",
        Convenience,
        PhraseRequired,
        Bonus,
        3.0,
        "Bonus: a replacement or refund offered without making the customer return or prove anything"
    );
    i.phrases = list(&[
        "直接为您换货",
        "直接给您补发",
        "无需退回",
        "不用寄回",
        "send a replacement right away",
        "no need to return",
        "no need to send it back",
    ]);
    v.push(i);
    let mut i = spec!(
        "no-repeat-description",
        Convenience,
        PhraseForbidden,
        Scored,
        3.0,
        "Do not ask the customer to describe the problem again"
    );
    i.phrases = list(&[
        "请再描述一下",
        "请重新描述",
        "再说一遍",
        "describe the problem again",
        "repeat your issue",
        "explain again",
    ]);
    i.speaker = S::Agent as i32;
    v.push(i);
    let mut i = spec!(
        "refund-timeline",
        Convenience,
        TriggeredResponse,
        Scored,
        3.0,
        "When a refund comes up, say when the money arrives"
    );
    i.trigger_phrases = list(&["退款", "退钱", "refund", "money back"]);
    i.phrases = list(&[
        "工作日",
        "到账",
        "小时内",
        "business days",
        "working days",
        "within 24 hours",
        "within 48 hours",
    ]);
    i.window_turns = 3;
    v.push(i);
    let mut i = spec!(
        "no-channel-switch",
        Convenience,
        PhraseForbidden,
        Scored,
        2.0,
        "Solve it in this chat: do not push the customer to phone or e-mail"
    );
    i.phrases = list(&[
        "请拨打",
        "请打电话",
        "请发邮件",
        "please call",
        "send an email to",
        "call our hotline",
    ]);
    v.push(i);

    // Response speed (响应速度).
    let mut i = spec!(
        "first-response-30s",
        ResponseSpeed,
        FirstResponseTime,
        Scored,
        8.0,
        "The first human reply comes within 30 s"
    );
    i.threshold = secs(30);
    v.push(i);
    let mut i = spec!(
        "reply-within-60s",
        ResponseSpeed,
        ReplyTime,
        Scored,
        6.0,
        "Every reply comes within 60 s of the customer's message"
    );
    i.threshold = secs(60);
    v.push(i);
    let mut i = spec!(
        "no-abandonment-first",
        ResponseSpeed,
        FirstResponseTime,
        AutoFail,
        4.0,
        "Auto-fail: the customer waits more than 3 minutes for a human"
    );
    i.threshold = secs(180);
    v.push(i);
    let mut i = spec!(
        "no-abandonment-reply",
        ResponseSpeed,
        ReplyTime,
        AutoFail,
        4.0,
        "Auto-fail: a customer message waits more than 5 minutes for a reply"
    );
    i.threshold = secs(300);
    v.push(i);
    let mut i = spec!(
        "wait-notice",
        ResponseSpeed,
        PhraseRequired,
        Bonus,
        2.0,
        "Bonus: tell the customer when checking takes a moment"
    );
    i.phrases = list(&[
        "马上为您查询",
        "请稍等",
        "稍等片刻",
        "正在为您核实",
        "one moment",
        "let me check",
        "i'll look into",
        "give me a moment",
    ]);
    v.push(i);
    let mut i = spec!(
        "thanks-for-waiting",
        ResponseSpeed,
        PhraseRequired,
        Bonus,
        2.0,
        "Bonus: thank the customer for their patience"
    );
    i.phrases = list(&[
        "感谢您的耐心等待",
        "让您久等了",
        "久等了",
        "thanks for waiting",
        "thank you for waiting",
        "sorry for the wait",
        "thank you for your patience",
    ]);
    v.push(i);
    let mut i = spec!(
        "urgent-fast",
        ResponseSpeed,
        TriggeredResponse,
        Scored,
        4.0,
        "An urgent request is answered within 30 s"
    );
    i.trigger_phrases = list(&[
        "紧急",
        "急用",
        "马上要",
        "urgent",
        "asap",
        "right now",
        "immediately",
    ]);
    i.threshold = secs(30);
    i.window_turns = 1;
    v.push(i);
    let mut i = spec!(
        "complaint-logged",
        ResponseSpeed,
        TriggeredResponse,
        Scored,
        4.0,
        "A complaint is acknowledged and logged within 2 minutes"
    );
    i.trigger_phrases = list(&["投诉", "complaint", "complain"]);
    i.phrases = list(&[
        "为您登记",
        "已记录",
        "升级处理",
        "反馈给",
        "escalate",
        "log your complaint",
        "recorded your complaint",
        "raised this",
    ]);
    i.threshold = secs(120);
    v.push(i);

    // Service quality (服务质量).
    let mut i = spec!(
        "greeting",
        ServiceQuality,
        PhraseRequired,
        Scored,
        5.0,
        "The agent's first message greets the customer"
    );
    i.phrases = list(&[
        "您好",
        "你好",
        "亲",
        "欢迎",
        "hello",
        "hi",
        "good morning",
        "good afternoon",
        "good evening",
        "welcome",
    ]);
    i.position = P::Opening as i32;
    i.window_turns = 1;
    i.meaning = M::Greeting as i32;
    v.push(i);
    let mut i = spec!(
        "introduction",
        ServiceQuality,
        PhraseRequired,
        Scored,
        2.0,
        "The agent introduces themselves or offers help in the first two messages"
    );
    i.phrases = list(&[
        "我是",
        "很高兴为您服务",
        "有什么可以帮",
        "i'm",
        "i am",
        "my name is",
        "how can i help",
        "happy to help",
    ]);
    i.position = P::Opening as i32;
    i.window_turns = 2;
    v.push(i);
    let mut i = spec!(
        "empathy-when-upset",
        ServiceQuality,
        TriggeredResponse,
        Scored,
        8.0,
        "When the customer is upset, acknowledge their feelings within two replies"
    );
    i.trigger_phrases = list(UPSET);
    i.phrases = list(&[
        "非常理解您的心情",
        "理解您的心情",
        "非常理解",
        "我能理解",
        "换作是我",
        "understand how you feel",
        "i understand",
        "must be frustrating",
        "i can imagine",
    ]);
    i.meaning = M::Empathy as i32;
    i.trigger_meaning = M::Upset as i32;
    v.push(i);
    let mut i = spec!(
        "apology-when-upset",
        ServiceQuality,
        TriggeredResponse,
        Scored,
        6.0,
        "When the customer is upset, apologise within two replies"
    );
    i.trigger_phrases = list(UPSET);
    i.phrases = list(&[
        "抱歉",
        "对不起",
        "不好意思",
        "给您带来不便",
        "给您添麻烦了",
        "耽误您时间了",
        "让您久等了",
        "是我们的问题",
        "是我们的失误",
        "对不住",
        "sorry",
        "apologize",
        "apologise",
        "my apologies",
    ]);
    i.meaning = M::Apology as i32;
    i.trigger_meaning = M::Upset as i32;
    v.push(i);
    let mut i = spec!(
        "no-rudeness",
        ServiceQuality,
        PhraseForbidden,
        AutoFail,
        8.0,
        "Auto-fail: rude or dismissive language"
    );
    i.phrases = list(&[
        "关我什么事",
        "爱买不买",
        "你自己看",
        "你听不懂吗",
        "随便你",
        "not my problem",
        "that's your problem",
        "deal with it",
        "whatever",
        "stupid",
        "shut up",
    ]);
    i.meaning = M::Rudeness as i32;
    v.push(i);
    let mut i = spec!(
        "no-blaming",
        ServiceQuality,
        PhraseForbidden,
        Scored,
        5.0,
        "Never blame the customer"
    );
    i.phrases = list(&[
        "是你自己",
        "你的问题",
        "你操作错了",
        "your fault",
        "you did it wrong",
        "you should have",
    ]);
    i.meaning = M::Blame as i32;
    v.push(i);
    let mut i = spec!(
        "no-flat-refusal",
        ServiceQuality,
        PhraseForbidden,
        Scored,
        3.0,
        "No flat refusals: offer what can be done"
    );
    i.phrases = list(&[
        "没办法",
        "办不到",
        "no way",
        "impossible",
        "can't do anything",
        "nothing i can do",
    ]);
    i.meaning = M::FlatRefusal as i32;
    v.push(i);
    let mut i = spec!(
        "resolution-confirmed",
        ServiceQuality,
        PhraseRequired,
        Scored,
        6.0,
        "Before closing, confirm the problem is solved or ask what else is needed"
    );
    i.phrases = list(&[
        "解决了吗",
        "还有其他问题",
        "还有什么可以帮",
        "问题解决",
        "满意吗",
        "anything else",
        "has this resolved",
        "does that solve",
        "resolved your issue",
        "does that help",
    ]);
    i.position = P::Closing as i32;
    i.window_turns = 3;
    i.meaning = M::ResolutionCheck as i32;
    v.push(i);
    let mut i = spec!(
        "closing-phrase",
        ServiceQuality,
        PhraseRequired,
        Scored,
        4.0,
        "Close warmly"
    );
    i.phrases = list(&[
        "祝您生活愉快",
        "感谢您的咨询",
        "再见",
        "期待再次为您服务",
        "have a nice day",
        "have a great day",
        "thank you for contacting",
        "goodbye",
        "bye",
    ]);
    i.position = P::Closing as i32;
    i.window_turns = 2;
    i.meaning = M::Closing as i32;
    v.push(i);
    let mut i = spec!(
        "golden-sentence",
        ServiceQuality,
        PhraseRequired,
        Bonus,
        3.0,
        "Bonus: 'sorry for taking your time, we will do better next time' (黄金三句话)"
    );
    i.phrases = list(&[
        "耽误您时间了",
        "下次会做得更好",
        "sorry for taking your time",
        "we'll do better next time",
        "we will do better",
    ]);
    v.push(i);
    let mut i = spec!(
        "solution-offered",
        ServiceQuality,
        PhraseRequired,
        Scored,
        6.0,
        "The agent offers a concrete action"
    );
    i.phrases = list(&[
        "为您安排",
        "为您处理",
        "补发",
        "换货",
        "为您退款",
        "we will",
        "i will",
        "i'll",
        "arrange",
        "replacement",
        "refund you",
        "send you",
    ]);
    v.push(i);
    let mut i = spec!(
        "polite-form",
        ServiceQuality,
        PhraseRequired,
        Scored,
        3.0,
        "Polite forms of address (您, please)"
    );
    i.phrases = list(&["您", "请", "please", "could you", "would you"]);
    v.push(i);
    let mut i = spec!(
        "no-jargon",
        ServiceQuality,
        PhraseForbidden,
        Scored,
        2.0,
        "No internal jargon"
    );
    i.phrases = list(&["工单系统", "后台显示", "sku", "backend", "ticket queue"]);
    v.push(i);
    let mut i = spec!(
        "short-replies",
        ServiceQuality,
        MaxReplyLength,
        Scored,
        2.0,
        "Replies of at most 300 characters"
    );
    i.max_count = 300;
    v.push(i);
    let mut i = spec!(
        "no-copy-paste",
        ServiceQuality,
        NoRepeatedReply,
        Scored,
        3.0,
        "The agent never sends the same text twice"
    );
    i.speaker = S::Agent as i32;
    v.push(i);
    let mut i = spec!(
        "thanks-for-feedback",
        ServiceQuality,
        TriggeredResponse,
        Scored,
        2.0,
        "Thank the customer for suggestions"
    );
    i.trigger_phrases = list(&["建议", "feedback", "suggestion", "suggest"]);
    i.phrases = list(&[
        "感谢您的建议",
        "感谢您的反馈",
        "谢谢您的建议",
        "thank you for your feedback",
        "thanks for the suggestion",
        "thanks for your feedback",
    ]);
    v.push(i);
    let mut i = spec!(
        "no-overpromise",
        ServiceQuality,
        PhraseForbidden,
        Scored,
        2.0,
        "No promises that cannot be kept"
    );
    i.phrases = list(&["保证百分百", "绝对没问题", "100% guaranteed", "i guarantee"]);
    v.push(i);
    let mut i = spec!(
        "no-data-leak",
        ServiceQuality,
        PhraseForbidden,
        AutoFail,
        5.0,
        "Auto-fail: disclosing another customer's data or credentials"
    );
    i.phrases = list(&[
        "其他客户的",
        "别的买家的",
        "密码是",
        "身份证号是",
        "another customer's",
        "password is",
    ]);
    v.push(i);

    // Personalisation (个性化服务).
    let mut i = spec!(
        "customer-name",
        Personalisation,
        CustomerNameUsed,
        Scored,
        4.0,
        "Address the customer by name"
    );
    i.speaker = S::Agent as i32;
    v.push(i);
    let mut i = spec!(
        "personal-follow-up",
        Personalisation,
        PhraseRequired,
        Bonus,
        3.0,
        "Bonus: the agent promises to follow up personally"
    );
    i.phrases = list(&[
        "我会跟进",
        "持续跟进",
        "跟进处理",
        "i will follow up",
        "i'll follow up",
        "keep you updated",
    ]);
    v.push(i);
    let mut i = spec!(
        "order-specific",
        Personalisation,
        PhraseRequired,
        Scored,
        3.0,
        "Talk about this customer's order, not in generalities"
    );
    i.phrases = list(&[
        "您的订单",
        "您购买的",
        "您的包裹",
        "your order",
        "the item you bought",
        "your package",
        "your parcel",
    ]);
    v.push(i);
    let mut i = spec!(
        "tailored-compensation",
        Personalisation,
        PhraseRequired,
        Bonus,
        2.0,
        "Bonus: compensation fitted to the customer's trouble"
    );
    i.phrases = list(&[
        "为您申请",
        "优惠券",
        "补偿",
        "coupon",
        "voucher",
        "compensation",
        "store credit",
    ]);
    v.push(i);
    let mut i = spec!(
        "loyalty-acknowledged",
        Personalisation,
        TriggeredResponse,
        Scored,
        2.0,
        "Thank a loyal customer for their loyalty"
    );
    i.trigger_phrases = list(&[
        "老客户",
        "买了很多次",
        "一直在你们家买",
        "loyal customer",
        "been a customer for",
        "always buy from you",
    ]);
    i.phrases = list(&[
        "感谢您一直以来的支持",
        "感谢您的信任",
        "感谢您的支持",
        "thank you for your loyalty",
        "valued customer",
        "thank you for your support",
    ]);
    v.push(i);
    let mut i = spec!(
        "warm-tone",
        Personalisation,
        PhraseRequired,
        Scored,
        2.0,
        "A warm, personal tone"
    );
    i.phrases = list(&[
        "很高兴",
        "哦",
        "呢",
        "😊",
        "glad",
        "happy to",
        "my pleasure",
    ]);
    v.push(i);
    let mut i = spec!(
        "open-door",
        Personalisation,
        PhraseRequired,
        Bonus,
        2.0,
        "Bonus: invite the customer to come back to the same agent"
    );
    i.phrases = list(&[
        "随时联系我",
        "有问题随时找我",
        "随时找我",
        "feel free to reach out",
        "contact me anytime",
        "reach me anytime",
    ]);
    i.position = P::Closing as i32;
    i.window_turns = 2;
    v.push(i);
    let mut i = spec!(
        "preference-asked",
        Personalisation,
        PhraseRequired,
        Bonus,
        2.0,
        "Bonus: ask the customer's preference (replacement or refund, time, channel)"
    );
    i.phrases = list(&[
        "您希望",
        "您更倾向",
        "您看是",
        "would you prefer",
        "which would you prefer",
        "do you prefer",
    ]);
    v.push(i);
    let mut i = spec!(
        "no-generic-brushoff",
        Personalisation,
        PhraseForbidden,
        Scored,
        2.0,
        "No canned brush-offs"
    );
    i.phrases = list(&[
        "请耐心等待",
        "按规定",
        "系统默认",
        "per our policy",
        "according to policy",
        "it is what it is",
    ]);
    v.push(i);

    pb::Standard {
        display_name: "Default support chat standard".into(),
        description: "46 behaviour indicators over convenience, response speed, service quality and personalisation; Chinese and English phrases.".into(),
        touchpoint_type: pb::TouchpointType::SupportChat as i32,
        indicators: v,
        review_threshold: 80.0,
        min_confidence: 0.8,
        ..Default::default()
    }
}

/// The default standard adapted to a touchpoint type: complaints make the apology and
/// logging the complaint auto-fail indicators and expect a reply within 30 s;
/// after-sales weighs the refund timeline and the proof rule more; pre-sales drops the
/// complaint-only indicators' weight to the minimum. Other types get the support-chat
/// standard with the type set.
pub fn default_standard_for(touchpoint_type: pb::TouchpointType) -> pb::Standard {
    let mut s = default_standard();
    s.touchpoint_type = touchpoint_type as i32;
    let set = |s: &mut pb::Standard, id: &str, f: &dyn Fn(&mut pb::Indicator)| {
        if let Some(i) = s.indicators.iter_mut().find(|i| i.id == id) {
            f(i);
        }
    };
    match touchpoint_type {
        pb::TouchpointType::Complaint => {
            s.display_name = "Default complaint standard".into();
            set(&mut s, "apology-when-upset", &|i| {
                i.effect = E::AutoFail as i32
            });
            set(&mut s, "complaint-logged", &|i| {
                i.effect = E::AutoFail as i32
            });
            set(&mut s, "reply-within-60s", &|i| i.threshold = secs(30));
        }
        pb::TouchpointType::AfterSales => {
            s.display_name = "Default after-sales standard".into();
            set(&mut s, "refund-timeline", &|i| i.weight = 6.0);
            set(&mut s, "no-unnecessary-proof", &|i| i.weight = 10.0);
        }
        pb::TouchpointType::PreSales => {
            s.display_name = "Default pre-sales standard".into();
            set(&mut s, "complaint-logged", &|i| i.weight = 1.0);
            set(&mut s, "refund-timeline", &|i| i.weight = 1.0);
        }
        _ => {}
    }
    s
}
