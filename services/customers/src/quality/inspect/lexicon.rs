//! The cue lexicon behind [`super::meaning`]: Chinese and English cues, each standing
//! for a meaning (or a piece of one: the object of a proof demand, a release like "no
//! need to") with a weight. Compiled once into the same matcher as a standard's phrases.

use super::text::PhraseSet;
use std::sync::LazyLock;

/// What a cue stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// The customer is upset (weighted).
    Upset,
    /// The customer is calm ("no worries", "不着急"): subtracts from upset.
    Calm,
    Empathy,
    Apology,
    /// Sarcasm: voids empathy and apology, and is rude.
    Sarcasm,
    /// A mock apology ("sorry you feel that way"): voids the apology, and is rude.
    Mock,
    /// Evidence a customer could be asked for (photo, receipt, 截图).
    ProofObject,
    /// A demand for evidence on its own ("without a receipt", "没有凭证").
    ProofDemand,
    /// A request ("could you", "please", "麻烦", "发一下").
    Request,
    /// Releases the customer from what follows ("no need to", "不用", "无需").
    Release,
    /// Sends the customer somewhere ("contact", "take that up with", "去找").
    Referral,
    /// Someone else (courier, maker, seller, bank, 快递, 厂家).
    Party,
    /// A runaround on its own ("not our department", "不归我们管").
    RunDirect,
    /// The agent acts ("I'll", "myself", "我来", "帮您").
    SelfAct,
    Refusal,
    /// Something offered instead ("but I can", "不过可以").
    Alternative,
    Blame,
    Rude,
    /// A harmless use of a listed word: voids any cue it overlaps.
    Harmless,
    Greeting,
    /// A greeting only at the very start of a turn ("Morning!").
    GreetingStart,
    Resolution,
    Closing,
}

impl Cue {
    /// For evidence notes.
    pub fn name(self) -> &'static str {
        match self {
            Cue::Upset => "upset",
            Cue::Calm => "calm",
            Cue::Empathy => "empathy",
            Cue::Apology => "apology",
            Cue::Sarcasm => "sarcasm",
            Cue::Mock => "mock apology",
            Cue::ProofObject => "evidence",
            Cue::ProofDemand => "proof demand",
            Cue::Request => "request",
            Cue::Release => "release",
            Cue::Referral => "referral",
            Cue::Party => "other party",
            Cue::RunDirect => "runaround",
            Cue::SelfAct => "agent acts",
            Cue::Refusal => "refusal",
            Cue::Alternative => "alternative",
            Cue::Blame => "blame",
            Cue::Rude => "rude",
            Cue::Harmless => "harmless",
            Cue::Greeting | Cue::GreetingStart => "greeting",
            Cue::Resolution => "resolution check",
            Cue::Closing => "closing",
        }
    }
}

use Cue as C;

/// (cue, weight, phrases). Weight 1 decides alone; upset cues below 1 need company.
const TABLE: &[(Cue, f32, &[&str])] = &[
    // ---- upset (customer) ----
    (
        C::Upset,
        1.0,
        &[
            "angry", "furious", "disappointed", "terrible", "unacceptable", "frustrated",
            "frustrating", "ridiculous", "fed up", "upset", "annoyed", "sick of", "not happy",
            "unhappy", "second time", "third time", "again!", "still nothing", "still not",
            "still haven't", "still no", "what is going on", "what's going on", "you promised",
            "can't believe", "cannot believe", "i'm done", "done with this", "a joke",
            "kidding me", "unbelievable", "waste of time", "useless", "awful", "horrible",
            "worst", "chase you", "chasing you", "nobody has", "no one has", "no one answered",
            "on my own", "already spent", "last person told me", "not good enough",
            "fed-up", "how hard can it be", "i want my money back", "scam", "rip-off",
            "生气", "气死", "太差", "失望", "火冒三丈", "垃圾", "无语", "受不了", "投诉",
            "第二次", "第三次", "又是这样", "怎么回事", "说好的", "服了", "没人管",
            "不想说什么", "一点消息都没有", "没有消息", "离谱", "搞什么", "烦死了",
            "开什么玩笑", "太过分", "过分了", "不满意", "不高兴", "心情很差", "心情特别糟",
            "郁闷", "崩溃", "坑人", "骗子", "气人", "还是不行", "自己想办法", "到底还要",
            "就是这么做生意", "什么破", "糟透了", "花了一个小时",
        ],
    ),
    (
        C::Upset,
        0.7,
        &[
            "seriously", "broken", "faulty", "empty", "again", "a week", "ten days", "two weeks",
            "where is my", "anyone even there", "still", "twice", "died", "torn", "damaged",
            "wrong item", "never arrived", "hasn't arrived", "坏了", "是坏的", "又", "还没到",
            "到底", "空的", "破的", "等了", "一个星期", "半个月", "十天", "还没", "两次",
            "发错", "扣了我", "无法充电", "无法使用", "用不了", "不能用", "充不进", "没反应",
            "won't charge", "will not charge", "doesn't work", "not working", "stopped working",
            "dead",
        ],
    ),
    (
        C::Calm,
        1.5,
        &[
            "no worries", "not angry", "not upset", "not disappointed", "no frustration",
            "just wondering", "just letting you know", "just want to know", "just asking",
            "no rush", "is fine", "not in a hurry", "不生气", "没有失望", "不着急", "没事",
            "跟你们说一声", "就是想问问", "就是想知道", "就是问问", "不急", "没关系",
            "会不会坏",
        ],
    ),
    (
        C::Harmless,
        1.0,
        &[
            "get broken", "terribly good", "terribly fun", "will it break", "随便你挑",
            "随便你什么时候", "随便你选", "not a stupid question", "no stupid questions",
            "whatever size", "whatever works", "whatever you decide", "whatever you like",
            "whatever you prefer", "whatever suits", "whatever colour", "whatever color",
            "you should have received", "you should have got", "you should have an email",
            "你的问题我", "您的问题我", "你的问题已", "你的问题马上", "一点都不傻",
        ],
    ),
    // ---- empathy / apology (agent) ----
    (
        C::Empathy,
        1.0,
        &[
            "understand how you feel", "i understand", "i completely understand",
            "i totally understand", "i get it", "completely get it", "i get why",
            "totally get why", "can see why", "i can imagine", "must be frustrating",
            "must be so", "must be really", "sounds really", "i hear you",
            "no wonder you're", "i'd be fed up too", "i would be upset too",
            "i'd be upset too", "i'd be annoyed too", "that's so annoying",
            "that's really annoying", "so annoying", "makes sense that you're",
            "makes total sense", "i know how", "not the experience we want",
            "understandably", "i'd feel the same", "how frustrating", "that's awful",
            "理解您的心情", "非常理解", "我能理解", "换作是我", "换我也会", "换谁都会",
            "我明白", "能体会", "理解您的感受", "理解您的着急", "完全可以理解", "太理解了",
            "确实挺让人着急", "确实太闹心", "确实让人", "心里肯定", "明白您", "太闹心了",
            "谁都受不了", "能理解您",
        ],
    ),
    (
        C::Apology,
        1.0,
        &[
            "sorry", "apologise", "apologize", "apologies", "my apologies", "i apologise",
            "that's on us", "on us", "we dropped the ball", "we messed up", "my bad",
            "we let you down", "shouldn't have happened", "should never have happened",
            "our mistake", "our fault", "we got it wrong", "sorry for taking your time",
            "抱歉", "对不起", "不好意思", "给您带来不便", "给您添麻烦了", "添麻烦了",
            "耽误您时间了", "让您久等了", "是我们的问题", "是我们的失误", "我们的疏忽",
            "对不住", "过意不去", "道歉", "赔个不是", "是我们没做好", "我们的错",
            "是我们不好",
        ],
    ),
    (
        C::Sarcasm,
        1.0,
        &[
            "tragedy of the century", "end of the world", "how will you ever survive",
            "what a catastrophe", "what a tragedy", "what a disaster", "poor you", "boo hoo",
            "oh wow", "truly the", "how awful for you", "terrible, terrible",
            "天都塌了", "多大点事", "至于吗", "世纪大难题", "天大的事", "好严重哦",
            "可真是", "大惊小怪",
        ],
    ),
    (
        C::Mock,
        1.0,
        &[
            "sorry you feel", "sorry if you", "if that makes you feel better",
            "happy now", "you're always right", "whatever you say", "sorry, i guess",
            "i guess, if", "最有理", "行了吧", "满意了吧", "说是就是", "还要怎样",
            "开心就好", "行行行", "好好好,我道歉",
        ],
    ),
    // ---- proof demands ----
    (
        C::ProofObject,
        1.0,
        &[
            "photo", "photos", "picture", "pictures", "pic", "pics", "video", "videos",
            "receipt", "receipts", "proof", "screenshot", "screenshots", "invoice",
            "evidence", "unboxing", "serial number", "proof of purchase", "凭证", "截图",
            "照片", "图片", "视频", "小票", "发票", "实物图", "开箱", "拍照", "拍个照",
            "拍视频", "拍几张", "拍给我", "序列号",
        ],
    ),
    (
        C::ProofDemand,
        1.0,
        &[
            "without a receipt", "without the receipt", "without proof", "without a photo",
            "without photos", "没有凭证", "没有小票", "没有发票", "没有视频", "没有照片",
            "得有开箱视频", "得有视频",
        ],
    ),
    (
        C::Request,
        1.0,
        &[
            "please", "could you", "can you", "would you", "kindly", "i'll need",
            "we'll need", "i need", "we need", "i'd need", "need to see", "you'll need to",
            "send over", "send me", "send us", "send it", "my way", "upload", "attach your",
            "provide", "snap", "take a photo", "take a picture", "before i can", "show me",
            "dig it out", "请", "麻烦", "需要您", "需要", "得有", "要先", "辛苦您", "发一下",
            "发过来", "拍给我", "上传", "提供", "发给我", "给我看看", "拍几张", "拍个照",
        ],
    ),
    (
        C::Release,
        1.0,
        &[
            "no need", "don't need", "do not need", "needn't", "don't have to",
            "do not have to", "won't have to", "won't need", "don't worry about",
            "no receipt needed", "not needed", "not required", "not necessary",
            "不用", "无需", "不必", "不需要", "没必要", "用不着", "都不用", "免",
        ],
    ),
    // ---- runarounds ----
    (
        C::Referral,
        1.0,
        &[
            "contact", "reach out to", "get in touch with", "call", "ring", "a ring",
            "ask the", "take that up with", "take it up with", "try the", "talk to",
            "speak to", "chase", "calling", "will have to look", "you'd need to",
            "go to", "check with", "联系", "去找", "找", "问一下", "问问", "您问", "去问",
            "直接问", "问他们", "打给", "咨询",
        ],
    ),
    (
        C::Party,
        1.0,
        &[
            "courier", "carrier", "dhl", "ups", "fedex", "manufacturer", "maker", "seller",
            "bank", "brand", "another department", "other department", "payments team",
            "billing team", "warranty desk", "post office", "the shop", "vendor",
            "快递", "厂家", "商家", "卖家", "物流", "银行", "支付部门", "品牌", "官方",
            "其他部门", "别的部门", "售后部门", "财务",
        ],
    ),
    (
        C::RunDirect,
        1.0,
        &[
            "not our department", "not something we handle", "not us", "not our problem to",
            "we just run the marketplace", "nothing to do with us", "you'll have to take",
            "不归我们管", "不是我们负责", "我们只是平台", "那边管", "跟我们没关系",
            "我们管不了",
        ],
    ),
    (
        C::SelfAct,
        1.0,
        &[
            "i'll", "i will", "i've", "i have", "we'll", "we will", "we've", "myself",
            "on your behalf", "for you", "let me", "我来", "我这边", "我已经", "帮您",
            "我们来", "我们会", "我帮",
        ],
    ),
    // ---- refusals ----
    (
        C::Refusal,
        1.0,
        &[
            "we don't do that", "not possible", "aren't something i can",
            "isn't something i can", "can't be done", "nope", "not happening", "no way",
            "impossible", "nothing i can do", "can't do anything", "we can't", "i can't",
            "we cannot", "i cannot", "unable to", "there's nothing", "not allowed",
            "退不了", "不行", "做不了", "改不了", "不能改", "不可能", "没办法", "办不到",
            "办不了", "取消不了", "处理不了", "不能退", "不支持",
        ],
    ),
    (
        C::Alternative,
        1.0,
        &[
            "but i can", "but we can", "but i'll", "but the", "however", "though i can",
            "instead", "what i can do", "i can offer", "want me to", "i could", "i can have",
            "不过", "但是", "但可以", "可以给您", "我可以", "要帮您", "要不要", "可以让",
        ],
    ),
    // ---- blame ----
    (
        C::Blame,
        1.0,
        &[
            "on your end", "if you'd", "if you had", "you must have", "you entered the wrong",
            "you picked the wrong", "you chose the wrong", "your fault", "you did it wrong",
            "you should have", "don't follow the instructions", "didn't follow",
            "you didn't read", "user error", "是您自己", "是你自己",
            "你的问题", "您肯定是", "您填错", "你填错", "您没按", "你没按",
            "不按说明", "选错", "填错", "操作错", "您没看", "你没看",
        ],
    ),
    // ---- rudeness ----
    (
        C::Rude,
        1.0,
        &[
            "are you even reading", "told you three times", "i've told you", "i already told you",
            "calm down", "don't have all day", "google it", "spell it out", "not my problem",
            "that's your problem", "deal with it", "whatever", "stupid", "shut up", "relax",
            "not a big deal", "don't see why you're", "what do you want me to do",
            "are you deaf", "can't you read", "idiot", "你到底看没看", "说了多少遍",
            "不识字", "急什么", "百度", "说几遍", "关我什么事", "爱买不买", "你听不懂吗",
            "随便你", "爱要不要", "有必要这么激动", "别激动", "没什么大不了", "你自己看",
            "烦不烦", "听不懂",
        ],
    ),
    // ---- greeting, resolution, closing ----
    (
        C::Greeting,
        1.0,
        &[
            "hello", "hi", "hey", "hiya", "good morning", "good afternoon", "good evening",
            "welcome", "thanks for reaching out", "thanks for getting in touch",
            "thank you for getting in touch", "thanks for messaging", "good to hear from you",
            "greetings", "howdy", "您好", "你好", "亲", "欢迎", "在的", "早上好", "下午好",
            "晚上好", "哈喽", "嗨", "上午好", "中午好",
        ],
    ),
    (C::GreetingStart, 1.0, &["morning", "evening", "afternoon"]),
    (
        C::Resolution,
        1.0,
        &[
            "anything else", "does that sort", "sort it for you", "is that everything",
            "let me know if that works", "does that work", "did that fix", "all good now",
            "anything more i can", "something else you need", "has this resolved",
            "does that solve", "does that help", "all sorted?", "glad that's sorted",
            "is there anything", "is everything ok now", "working now?", "can i help with",
            "可以吗", "还有别的需要", "处理好了吧", "确认一下能用", "还有什么我能帮",
            "满意吗", "是不是都正常", "其他问题", "解决了吗", "还有什么可以帮", "问题解决",
            "还有别的", "还有什么需要", "能用了吗",
        ],
    ),
    (
        C::Closing,
        1.0,
        &[
            "take care", "enjoy", "speak soon", "have a lovely", "have a nice", "have a great",
            "have a good", "all the best", "wishing you", "goodbye", "bye", "cheers",
            "thank you for contacting", "thanks for contacting", "thanks for chatting",
            "see you", "祝您", "拜拜", "再见", "回见", "感谢您的咨询", "期待再次为您服务",
            "祝你", "下次见",
        ],
    ),
];

/// The compiled lexicon.
pub struct Lexicon {
    pub set: PhraseSet,
    /// By phrase id: what it stands for (a phrase may stand for several things).
    pub entries: Vec<Vec<(Cue, f32)>>,
}

/// Compiled on first use.
pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut set = PhraseSet::default();
    let mut entries: Vec<Vec<(Cue, f32)>> = Vec::new();
    for (cue, weight, phrases) in TABLE {
        for p in *phrases {
            if let Some(id) = set.add(p) {
                let id = id as usize;
                if entries.len() <= id {
                    entries.resize(id + 1, Vec::new());
                }
                if !entries[id].iter().any(|(c, _)| c == cue) {
                    entries[id].push((*cue, *weight));
                }
            }
        }
    }
    Lexicon { set, entries }
});
