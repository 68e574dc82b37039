"""Generated live-chat lines that teach modops-minilm how gaming chat talks.

OLID's tweets are political: fine-tuned on them alone, the second stage reads gaming slang
("that play was filthy", "nice kill") as hostile. These lines pair that slang, said of
plays, bosses and loot (not offensive), with insults and slurs aimed at people in chat
(offensive), so the model learns the difference rather than a word list. They are built
from the phrase lists below, none of which repeats a line of the 50-line harmless chat
test set (``src/modops/text/tests/benign_gaming_chat.txt``): that set stays unseen.

    python bench/train_minilm.py --olid FILE --chat
"""

from __future__ import annotations

import random
from pathlib import Path

THINGS = (
    "that play", "this game", "that combo", "the loot", "this map", "that clutch", "the new patch",
    "this skin", "that shot", "this boss", "this build", "that round", "the stream", "this song",
    "that snipe", "the last raid", "that ult", "this deck", "that pull", "the soundtrack",
    "that ending", "this run", "the speedrun", "that trick", "the update", "that flank", "the lobby",
    "this dungeon", "that parry", "the drop rate",
)  # fmt: skip
PRAISE = (
    "was sick", "is sick", "was insane", "is insane", "was filthy", "is filthy", "was nasty",
    "is cracked", "is busted", "is broken lol", "was disgusting lol", "was crazy", "is wild",
    "was savage", "was brutal", "is op", "was unreal", "goes hard", "is fire", "was stupid good",
    "is absolutely mental", "was ridiculous", "is a beast",
)  # fmt: skip
GRIPES = (
    "is trash lol", "is garbage", "is so bad lol", "sucks", "is dead", "is mid", "is terrible",
    "is boring", "was a disaster", "is rigged lol", "is a joke", "is pain",
)  # fmt: skip
GAME_TALK = (
    "kill the boss", "shoot the tank first", "we got destroyed", "i died again lol", "i'm dead 💀",
    "headshot!", "he got wrecked", "they got demolished", "you destroyed them", "what a massacre",
    "finish him", "kill it with fire lol", "nuke the base", "i got murdered by that boss", "rip me",
    "that boss killed me", "we slaughtered them", "execute him", "burn it down", "blow up the wall",
    "snipe the healer", "go for the kill", "absolute beast", "you monster lol", "bro is a menace",
    "that was evil lol", "i hate this level", "i hate lag", "this lag is killing me",
    "my aim is trash", "i'm so bad at this lmao", "i suck at this game", "stupid bug again",
    "dumb luck lol", "npc brain lol", "triple kill!", "ace!!", "gg ez game", "he's cracked",
    "she's nasty with the sniper", "the raid boss is brutal", "that jump scare killed me",
    "i'm screaming", "crying at this lmao", "bro got absolutely cooked", "we're so back",
)  # fmt: skip
TARGETS = (
    "you", "streamer", "this streamer", "mods", "chat", "that guy", "the other team", "your mom",
    "ur team", "this idiot mod",
)  # fmt: skip
INSULTS = (
    "are trash", "is a fucking idiot", "can go die", "should kys", "are garbage at life",
    "is a retard", "are a worthless loser", "are braindead", "is a stupid bitch", "is a faggot",
    "are ugly as hell", "is a fat pig", "can suck my dick", "are a dumb whore", "should uninstall and die",
    "are a piece of shit", "is a useless cunt", "are pathetic", "is a disgusting pervert",
)  # fmt: skip
TEST_SET = Path(__file__).resolve().parent.parent / "src/modops/text/tests/benign_gaming_chat.txt"
ENDINGS = ("", "", " lol", " lmao", "!!", " 😂", " fr", " ngl")


def generated_chat(seed: int = 0) -> list[tuple[str, int]]:
    """(line, 1 if offensive) pairs: harmless slang and talk, and insults aimed at people."""
    rng = random.Random(seed)
    unseen = {line.strip().lower() for line in TEST_SET.read_text(encoding="utf-8").splitlines()}
    lines: dict[str, int] = {}
    for thing in THINGS:
        for phrase in rng.sample(PRAISE, 6) + rng.sample(GRIPES, 3):
            lines[f"{thing} {phrase}{rng.choice(ENDINGS)}"] = 0
    for talk in GAME_TALK:
        lines[talk] = 0
        lines[f"{talk}{rng.choice(ENDINGS[2:])}"] = 0
    for target in TARGETS:
        for insult in rng.sample(INSULTS, 10):
            lines[f"{target} {insult}{rng.choice(ENDINGS)}"] = 1
    return [(line, label) for line, label in lines.items() if line.lower() not in unseen]
