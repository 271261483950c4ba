# English utterance pools. Each entry: (text, meanings, split).
# meanings (what an experienced QA reviewer reads in the utterance):
#   upset  the customer is upset          greet  the agent greets
#   emp    the agent acknowledges feelings apo    the agent apologises (sincerely)
#   proof  the agent demands evidence      run    the agent sends the customer elsewhere
#   rude   rude, mocking or dismissive     blame  the agent blames the customer
#   refuse a flat refusal, nothing offered reso   the agent checks it is solved / asks what else
#   close  a warm closing
# split: "t" (tuning) or "h" (held out: never looked at while tuning the inspector).

OPEN_UPSET_NATURAL = [
    ("Second time this has happened with you guys.", {"upset"}, "t"),
    ("I've been waiting ten days and still nothing. What is going on?", {"upset"}, "t"),
    ("Seriously? The box arrived empty.", {"upset"}, "t"),
    ("This is the third time I'm writing about the same order!!", {"upset"}, "t"),
    ("I paid for express delivery and it's been a week. Not happy.", {"upset"}, "t"),
    ("Honestly I'm done with this, the replacement is faulty too.", {"upset"}, "t"),
    ("You promised Monday. It's Thursday.", {"upset"}, "t"),
    ("I can't believe I have to chase you again for a refund.", {"upset"}, "t"),
    ("Nobody has answered my emails for a week. Is anyone even there?", {"upset"}, "h"),
    ("The blender died after two days. Great quality, really.", {"upset"}, "h"),
    ("Why do I keep getting charged twice? This is a joke.", {"upset"}, "h"),
    ("I'm really upset, the dress I ordered for the wedding came torn.", {"upset"}, "h"),
    ("Sick of this. Where is my parcel?", {"upset"}, "h"),
]
OPEN_UPSET_STOCK = [
    ("My charger arrived broken. This is ridiculous!", {"upset"}, "t"),
    ("I'm so angry, the order is terrible.", {"upset"}, "t"),
    ("This is unacceptable, I'm very disappointed.", {"upset"}, "t"),
    ("I'm frustrated, the screen is broken.", {"upset"}, "h"),
    ("I'm fed up and furious with this delivery.", {"upset"}, "h"),
]
OPEN_CALM = [
    ("Hi, I'd like to change the delivery address for my order.", set(), "t"),
    ("Does this jacket come in navy?", set(), "t"),
    ("Quick question about my invoice, can I get it in my company's name?", set(), "t"),
    ("When will my refund arrive?", set(), "t"),
    ("Can I swap the size M for an L?", set(), "t"),
    ("Is the blue kettle back in stock yet?", set(), "h"),
    ("Hello, how long does shipping to Lyon usually take?", set(), "h"),
    ("Could I add a gift note to my order?", set(), "h"),
]
OPEN_CALM_HARMLESS = [
    ("Not disappointed at all, just wondering if the blue one is back in stock.", set(), "t"),
    ("The box got a bit broken in transit but the mug is fine, no worries, just letting you know.", set(), "t"),
    ("I'm not angry, just want to know when it ships.", set(), "t"),
    ("Will the glass get broken in the post? I want to send it as a gift.", set(), "t"),
    ("My nephew says the game is terribly good fun. Do you have the sequel?", set(), "h"),
    ("No frustration here, I just need the tracking link again please.", set(), "h"),
]
FOLLOW_UP = [
    ("Order 58213.", set(), "t"),
    ("It's order 40917, placed last Friday.", set(), "t"),
    ("The order number is 77310.", set(), "h"),
    ("Order #90044, under my name.", set(), "h"),
]
REACT_NEUTRAL = [
    ("OK.", set(), "t"),
    ("Alright, thanks.", set(), "t"),
    ("Fine, go ahead.", set(), "h"),
    ("Sure.", set(), "h"),
]
REACT_UPSET = [
    ("Are you kidding me? That's your job.", {"upset"}, "t"),
    ("Unbelievable. I've already spent an hour on this.", {"upset"}, "t"),
    ("Wow. So I'm on my own then.", {"upset"}, "h"),
    ("That's exactly what the last person told me. Still nothing works.", {"upset"}, "h"),
]
CUSTOMER_DONE = [
    ("No, that's all, thanks.", set(), "t"),
    ("Great, that works.", set(), "t"),
    ("That's everything, cheers.", set(), "h"),
    ("Perfect, thank you.", set(), "h"),
]

GREET_NATURAL = [
    ("Hey there, thanks for reaching out!", {"greet"}, "t"),
    ("Morning! Thanks for getting in touch.", {"greet"}, "t"),
    ("Hi Anna, Sam here.", {"greet"}, "t"),
    ("Hey, good to hear from you, it's Priya from support.", {"greet"}, "t"),
    ("Hiya, Tom here from the help team.", {"greet"}, "h"),
    ("Evening! Thanks for messaging us.", {"greet"}, "h"),
    ("Hey Anna, thanks for waiting, I'm on it now.", {"greet"}, "h"),
]
GREET_STOCK = [
    ("Hello, I'm Sam, how can I help?", {"greet"}, "t"),
    ("Hi, welcome to support!", {"greet"}, "t"),
    ("Good morning, my name is Li.", {"greet"}, "h"),
]
GREET_NONE = [
    ("Order number?", set(), "t"),
    ("What's the issue?", set(), "t"),
    ("Go ahead.", set(), "t"),
    ("Checking your account now.", set(), "h"),
    ("Yes?", set(), "h"),
]

# Replies to an upset customer.
RESP_BOTH = [
    ("Oh no, that's really not the experience we want for you, and I'm sorry it happened twice.", {"emp", "apo"}, "t"),
    ("That's so annoying, I completely get it. Sorry about that.", {"emp", "apo"}, "t"),
    ("Ugh, I'd be fed up too. That's on us.", {"emp", "apo"}, "t"),
    ("I hear you, a week with no updates is awful. I apologise.", {"emp", "apo"}, "t"),
    ("No wonder you're upset, and I'm truly sorry for the hassle.", {"emp", "apo"}, "h"),
    ("That sounds maddening, and we let you down here, sorry.", {"emp", "apo"}, "h"),
    ("I totally get why you're annoyed. We messed up, my apologies.", {"emp", "apo"}, "h"),
]
RESP_EMP = [
    ("I can see why you're frustrated.", {"emp"}, "t"),
    ("That sounds really stressful, especially right before a trip.", {"emp"}, "t"),
    ("I understand how you feel.", {"emp"}, "t"),
    ("That must be so disappointing after waiting all week.", {"emp"}, "h"),
    ("Makes total sense that you're fed up.", {"emp"}, "h"),
]
RESP_APO = [
    ("My apologies for that.", {"apo"}, "t"),
    ("We dropped the ball here.", {"apo"}, "t"),
    ("That's on us, we shouldn't have shipped it like that.", {"apo"}, "t"),
    ("Sorry for taking your time, we'll do better next time.", {"apo"}, "t"),
    ("So sorry about this.", {"apo"}, "h"),
    ("Apologies, that should never have happened.", {"apo"}, "h"),
]
RESP_NEITHER = [
    ("Let me look.", set(), "t"),
    ("Okay. Checking.", set(), "t"),
    ("Noted.", set(), "t"),
    ("Right, let's get it sorted.", set(), "h"),
    ("I'll pull up the order.", set(), "h"),
]
RESP_SARCASTIC = [
    ("I can imagine, truly the tragedy of the century.", {"rude"}, "t"),
    ("Oh wow, a late parcel, how will you ever survive.", {"rude"}, "t"),
    ("Sure, the end of the world, I know.", {"rude"}, "t"),
    ("I understand, what a catastrophe, a scratched lid.", {"rude"}, "h"),
    ("Yes, yes, terrible, terrible.", {"rude"}, "h"),
]
RESP_MOCK_APOLOGY = [
    ("Sorry you feel that way.", {"rude"}, "t"),
    ("Okay okay, sorry, you're always right, happy now?", {"rude"}, "t"),
    ("Well, sorry, I guess, if that makes you feel better.", {"rude"}, "t"),
    ("Sorry if you think that's our fault.", {"rude"}, "h"),
    ("Fine, sorry, whatever you say.", {"rude"}, "h"),
]
RESP_DISMISSIVE = [
    ("I don't see why you're upset, it's only a day late.", {"rude"}, "t"),
    ("It's not a big deal, relax.", {"rude"}, "h"),
]
RESP_CALM = [
    ("Sure, let me check that for you.", set(), "t"),
    ("Happy to help with that.", set(), "t"),
    ("Of course, one moment.", set(), "h"),
    ("Good question, let me find out.", set(), "h"),
]

PROOF_NATURAL = [
    ("Could you send over a photo of the item and a pic of the receipt?", {"proof"}, "t"),
    ("Before I can do anything I'll need an unboxing video.", {"proof"}, "t"),
    ("Can you upload a screenshot of the order and a picture of the damage?", {"proof"}, "t"),
    ("We'll need some evidence it arrived damaged, photos from a few angles please.", {"proof"}, "t"),
    ("Without a receipt I can't process this, so please dig it out and send it.", {"proof"}, "t"),
    ("Snap a quick picture of the serial number and the packaging and send it my way.", {"proof"}, "h"),
    ("I'll need to see a video of the fault first.", {"proof"}, "h"),
    ("Kindly attach your invoice and photos of the product.", {"proof"}, "h"),
]
PROOF_STOCK = [
    ("Please send proof of purchase and a video evidence of the fault.", {"proof"}, "t"),
    ("Please provide proof of purchase.", {"proof"}, "t"),
    ("Can you send a video of it?", {"proof"}, "h"),
]
PROOF_NEGATED = [
    ("You don't need to send photos or a receipt, I can see the order here.", set(), "t"),
    ("No need for any proof, I've got your order on screen.", set(), "t"),
    ("No receipt needed, your order history is enough.", set(), "t"),
    ("There's no need to send a video, I trust you.", set(), "h"),
    ("You won't have to provide any proof of purchase.", set(), "h"),
]
PROOF_HARMLESS = [
    ("The photos on the product page are a bit misleading, we'll fix them.", set(), "t"),
    ("Your receipt is already in your inbox.", set(), "t"),
    ("I've attached a picture of the return label for you.", set(), "h"),
]
RUN_NATURAL = [
    ("You'll have to take that up with the courier.", {"run"}, "t"),
    ("That's something the manufacturer handles, you'd need to reach out to them.", {"run"}, "t"),
    ("Best to ask the seller directly, we just run the marketplace.", {"run"}, "t"),
    ("Give DHL a ring, they'll sort it.", {"run"}, "t"),
    ("That's a billing thing, try the payments team.", {"run"}, "h"),
    ("Your bank will have to look into that, not us.", {"run"}, "h"),
    ("Get in touch with the brand's warranty desk for that one.", {"run"}, "h"),
]
RUN_STOCK = [
    ("Please contact the courier.", {"run"}, "t"),
    ("That's not our department.", {"run"}, "t"),
    ("You need to contact the manufacturer.", {"run"}, "h"),
]
RUN_NEGATED = [
    ("You don't need to contact the courier, I've already raised it.", set(), "t"),
    ("No need to chase the manufacturer, I'll deal with them for you.", set(), "t"),
    ("I'll contact the courier myself and get back to you.", set(), "t"),
    ("Don't worry about calling the seller, I've messaged them on your behalf.", set(), "h"),
    ("I'll get in touch with the warehouse myself, you don't have to do anything.", set(), "h"),
]
REFUSE_NATURAL = [
    ("We don't do that.", {"refuse"}, "t"),
    ("That's not possible.", {"refuse"}, "t"),
    ("Refunds aren't something I can give you.", {"refuse"}, "t"),
    ("Nope, can't be done.", {"refuse"}, "t"),
    ("We can't change orders once they're placed. That's it.", {"refuse"}, "h"),
    ("Not happening, I'm afraid.", {"refuse"}, "h"),
]
REFUSE_STOCK = [
    ("No way, that's impossible.", {"refuse"}, "t"),
    ("There's nothing I can do.", {"refuse"}, "t"),
    ("I can't do anything about it.", {"refuse"}, "h"),
]
REFUSE_ALTERNATIVE = [
    ("I can't refund a used item, but I can send a replacement today.", set(), "t"),
    ("That colour's gone, but the navy one ships tomorrow. Want me to hold one?", set(), "t"),
    ("We can't change the address now, but I can have the courier hold it at a pickup point near you.", set(), "t"),
    ("Express isn't available there, though I can upgrade you to priority for free.", set(), "h"),
    ("I'm unable to cancel it at this stage, however I can set up a free return the moment it arrives.", set(), "h"),
]
SOLUTION = [
    ("I'll send a replacement out today, it'll be with you Thursday.", set(), "t"),
    ("I've refunded you in full, it shows in 3 to 5 days.", set(), "t"),
    ("Done, the address is updated.", set(), "t"),
    ("I've booked a courier to collect it tomorrow morning.", set(), "h"),
    ("A new one is on its way, tracking is in your inbox.", set(), "h"),
]
BLAME_NATURAL = [
    ("Looks like it was plugged into the wrong socket on your end.", {"blame"}, "t"),
    ("If you'd read the size guide this wouldn't have happened.", {"blame"}, "t"),
    ("You must have dropped it.", {"blame"}, "t"),
    ("You entered the wrong address, that's why.", {"blame"}, "t"),
    ("That happens when people don't follow the instructions.", {"blame"}, "h"),
    ("Well, you picked the wrong size.", {"blame"}, "h"),
]
BLAME_STOCK = [
    ("That's your fault, you should have checked.", {"blame"}, "t"),
    ("You did it wrong.", {"blame"}, "h"),
]
BLAME_HARMLESS = [
    ("It's not your fault at all.", set(), "t"),
    ("You should have received a confirmation email, let me resend it.", set(), "t"),
    ("None of this is on you.", set(), "h"),
]
RUDE_NATURAL = [
    ("Are you even reading what I write?", {"rude"}, "t"),
    ("I've told you three times already.", {"rude"}, "t"),
    ("Calm down.", {"rude"}, "t"),
    ("Look, I don't have all day.", {"rude"}, "t"),
    ("Google it.", {"rude"}, "h"),
    ("Do I have to spell it out for you?", {"rude"}, "h"),
]
RUDE_STOCK = [
    ("That's not my problem.", {"rude"}, "t"),
    ("Whatever.", {"rude"}, "t"),
    ("Deal with it.", {"rude"}, "h"),
]
RUDE_HARMLESS = [
    ("Not a stupid question at all!", set(), "t"),
    ("Pick whatever size you like, both are in stock.", set(), "t"),
    ("Whatever works best for you, morning or afternoon delivery?", set(), "t"),
    ("No problem at all, happy to explain.", set(), "h"),
    ("Whatever you decide, I'll set it up.", set(), "h"),
]

RESO_NATURAL = [
    ("Does that sort it for you?", {"reso"}, "t"),
    ("Is that everything you needed today?", {"reso"}, "t"),
    ("Let me know if that works for you.", {"reso"}, "t"),
    ("Did that fix it?", {"reso"}, "t"),
    ("Are we all good now?", {"reso"}, "h"),
    ("Anything more I can do for you?", {"reso"}, "h"),
    ("Is there something else you need?", {"reso"}, "h"),
]
RESO_STOCK = [
    ("Is there anything else I can help with?", {"reso"}, "t"),
    ("Has this resolved your issue?", {"reso"}, "h"),
]
RESO_NONE = [
    ("Done.", set(), "t"),
    ("That's been processed.", set(), "t"),
    ("It's in the system now.", set(), "h"),
]
CLOSE_NATURAL = [
    ("Take care!", {"close"}, "t"),
    ("Enjoy the rest of your week!", {"close"}, "t"),
    ("Cheers, speak soon.", {"close"}, "t"),
    ("Have a lovely evening.", {"close"}, "t"),
    ("All the best!", {"close"}, "h"),
    ("Thanks for your patience, and enjoy your weekend!", {"close"}, "h"),
    ("Wishing you a good one!", {"close"}, "h"),
]
CLOSE_STOCK = [
    ("Have a nice day!", {"close"}, "t"),
    ("Thank you for contacting us, goodbye.", {"close"}, "h"),
]
CLOSE_NONE = [
    ("Ticket closed.", set(), "t"),
    ("Closing this chat.", set(), "t"),
    ("That's it from me.", set(), "h"),
]
BOT_ONLY = [
    ("An agent will be with you shortly.", set(), "t"),
    ("Please describe your problem.", set(), "t"),
    ("Our agents are busy, please wait.", set(), "h"),
]
