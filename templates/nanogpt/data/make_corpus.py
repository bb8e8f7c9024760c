"""Writes corpus.txt: a deterministic, synthetic collection of short fables (about 300 KB).

Why synthetic: the template must train offline with nothing downloaded, and a generated text has
no licence question. The grammar gives the model structure at several scales to learn: spelling,
agreement ("the fox runs" / "the foxes run"), recurring names within a story, dialogue
punctuation, and a moral line that closes each fable.

Run `python make_corpus.py` to regenerate; the output is identical on every run.
"""

import os
import random

ANIMALS = ["fox", "crow", "hare", "tortoise", "wolf", "lamb", "lion", "mouse", "ant", "grasshopper",
           "owl", "goat", "frog", "heron", "bear", "bee", "stag", "dog", "cat", "rooster"]
PLURAL = {"fox": "foxes", "mouse": "mice", "wolf": "wolves", "goat": "goats", "grasshopper": "grasshoppers"}
NAMES = ["Ada", "Bram", "Cora", "Dov", "Elsa", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Lev",
         "Mira", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Tova", "Ulf"]
PLACES = ["by the river", "in the old forest", "on the hill", "at the edge of the marsh", "in the barley field",
          "under the great oak", "near the mill", "beside the well", "in the orchard", "on the frozen lake"]
SEASONS = ["spring", "summer", "autumn", "winter"]
ADJ = ["clever", "proud", "hungry", "patient", "lazy", "kind", "greedy", "brave", "timid", "wise", "foolish", "quick"]
THINGS = ["a piece of cheese", "a basket of plums", "a crust of bread", "a silver bell", "a bundle of hay",
          "a jar of honey", "a ripe pear", "a warm coat", "a handful of seeds", "a shining key"]
VERBS = [("find", "found"), ("carry", "carried"), ("hide", "hid"), ("share", "shared"), ("lose", "lost"),
         ("guard", "guarded"), ("trade", "traded"), ("steal", "stole"), ("count", "counted")]
MORALS = ["Slow and steady wins the race.", "Pride goes before a fall.", "A friend in need is a friend indeed.",
          "Look before you leap.", "Little by little does the trick.", "Do not count your eggs before they hatch.",
          "Kindness is never wasted.", "Flattery is a poor master.", "Prepare today for the needs of tomorrow.",
          "The greedy lose what they have.", "Gratitude is the sign of noble souls.", "Honesty is the best policy."]
NUMBERS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def plural(a):
    return PLURAL.get(a, a + "s")


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def fable(r):
    a, b = r.sample(ANIMALS, 2)
    na, nb = r.sample(NAMES, 2)
    adj_a, adj_b = r.sample(ADJ, 2)
    thing = r.choice(THINGS)
    verb, past = r.choice(VERBS)
    place, season = r.choice(PLACES), r.choice(SEASONS)
    n = r.choice(NUMBERS)
    title = f"THE {adj_a.upper()} {a.upper()} AND THE {b.upper()}"
    lines = [
        title,
        "",
        f"One {season} day, {article(adj_a)} {adj_a} {a} named {na} {past} {thing} {place}.",
        f"{na} had walked for {n} days, and the {a} was tired.",
        f"Then {article(adj_b)} {adj_b} {b} named {nb} came by and saw what {na} had.",
        f'"Good day, {na}," said {nb}. "Will you {verb} it with me?"',
    ]
    if r.random() < 0.5:
        lines += [
            f'"No," said {na}. "I {past} it myself, and I will keep it."',
            f"So {nb} went away, and the other {plural(b)} {place} laughed at the {a}.",
            f"By the end of {season}, {na} had nothing left, for {thing} does not last.",
        ]
    else:
        lines += [
            f'"Gladly," said {na}. "There is enough for two."',
            f"The {a} and the {b} sat together {place} until the sun went down.",
            f"When {season} turned hard, {nb} remembered {na} and brought {n} friends to help.",
        ]
    lines += [f"Moral: {r.choice(MORALS)}", "", ""]
    return "\n".join(lines)


def main(target_bytes=300_000):
    r = random.Random(1693)  # the year of the first printed Aesop in English verse, as good as any
    parts, size = [], 0
    while size < target_bytes:
        part = fable(r)
        parts.append(part)
        size += len(part)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.txt")
    with open(path, "w") as f:
        f.write("".join(parts))
    print(f"wrote {size} characters, {len(parts)} fables, to {path}")


if __name__ == "__main__":
    main()
