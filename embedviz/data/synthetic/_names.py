"""Made-up names that read like real catalogues: film titles, artist names, last.fm tags.

Word lists are short; a syllable generator makes as many more distinct words as needed,
so name pools never run dry at 20k+ artists. Film titles stay Latin-1 encodable (the
MovieLens-100K item file is Latin-1); artist names may use any script (artists.dat is UTF-8).
"""
from __future__ import annotations

import numpy as np

ADJECTIVES = (
    "Silent", "Broken", "Golden", "Lost", "Last", "Wild", "Dark", "Secret", "Crimson", "Hidden",
    "Burning", "Endless", "Frozen", "Little", "Sweet", "Bitter", "Perfect", "Dangerous",
    "Midnight", "Lonely", "Invisible", "Eternal", "Savage", "Quiet", "Restless", "Fallen",
    "Electric", "Velvet", "Naked", "Hollow", "Distant", "Brave", "Crazy", "Strange", "Deadly",
    "Blue", "Black", "White", "Red", "Green", "Lucky", "Sudden", "Fatal", "Wicked", "Gentle",
    "Private", "Ordinary", "Final", "Third", "Empty", "American", "English", "French", "Scarlet",
    "Shining", "Raging", "Innocent", "Sacred", "Stolen", "Borrowed", "Forgotten", "Holy", "Urban",
    "Rebel", "Double"
)
NOUNS = (
    "Harbor", "Heart", "River", "Garden", "Kingdom", "Shadow", "Mirror", "Stranger", "Summer",
    "Winter", "Highway", "Promise", "Secret", "Angel", "Island", "Witness", "Dream", "Storm",
    "Circle", "Empire", "Letter", "Country", "Fire", "Game", "Road", "Night", "Hunter", "Bride",
    "Mountain", "Station", "Affair", "Code", "Horizon", "Ghost", "Child", "Doctor", "Season",
    "Voyage", "Wedding", "Machine", "Legend", "Planet", "Moon", "Paradise", "Journey", "Alibi",
    "Ransom", "Verdict", "Frontier", "Thunder", "Desire", "Ocean", "Widow", "Diary", "Memory",
    "Signal", "Canyon", "Orchard", "Lighthouse", "Carnival", "Exile", "Village", "Soldier",
    "Daughter", "Detective"
)
FIRST_NAMES = (
    "Jack", "Harry", "Lucy", "Emma", "Johnny", "Billy", "Annie", "Rosa", "Max", "Sam", "Nora",
    "Ella", "Louis", "Grace", "Frank", "Mae", "Otis", "Ruby", "Ray", "Hazel", "Leo", "Iris",
    "Walter", "June", "Miles", "Nina", "Chet", "Etta", "Dolly", "Hank", "Willie", "Patsy",
    "Travis", "Loretta", "Reba", "Merle", "Waylon", "Tammy", "Buck", "Emmylou", "Wynton", "Dizzy",
    "Thelonious", "Cannonball", "Sonny", "Ahmad", "Horace"
)
LAST_NAMES = (
    "Porter", "Walker", "Harper", "Brooks", "Rhodes", "Parker", "Hayes", "Monroe", "Carter",
    "Wells", "Dalton", "Foster", "Keller", "Hale", "Mercer", "Bishop", "Lowe", "Flynn", "Baxter",
    "Griffin", "Hollis", "Sutton", "Whitfield", "Calloway", "Tatum", "Garner", "Mingus", "Blakey",
    "Silver", "Marsalis", "Haden", "Jarrett", "Hancock", "Lovano", "Redman", "Shorter", "Holland",
    "Cole", "Byrd"
)

# (title as MovieLens prints it, year): accented, Latin-1 encodable, article moved to the end.
FOREIGN_FILMS = (
    ("Amélie", 2001), ("Café au lait", 1993), ("Misérables, Les", 1995), ("Belle époque", 1992),
    ("Cité des enfants perdus, La", 1995), ("Été meurtrier, L'", 1983), ("Crème brûlée", 1994),
    ("Liaisons dangereuses, Les", 1959), ("Jeux interdits", 1952), ("Fräulein Müller", 1996),
    ("Über den Wolken", 1997), ("Smörgåsbord", 1994), ("Niño de la calle", 1996),
    ("Señora de Mañana, La", 1995), ("Coração selvagem", 1990), ("Søstrene", 1996),
    ("Pequeña Ñandú", 1997), ("Garçon!", 1983), ("Nuits fauves, Les", 1992), ("À nos amours", 1983),
    ("Trois couleurs: Rouge", 1994), ("Déjà vu", 1997), ("Ça commence aujourd'hui", 1998),
    ("Mères et filles", 1995), ("Frühlingssinfonie", 1983), ("Tystnaden", 1963),
    ("Straße, Die", 1923), ("Château de ma mère, Le", 1990), ("Ménage", 1986), ("Noël", 1996),
)

GROUP_TAGS: dict[str, tuple[str, ...]] = {
    "metal": ("metal", "heavy metal", "death metal", "black metal", "thrash metal", "power metal",
              "doom metal", "metalcore", "progressive metal"),
    "hip-hop": ("hip-hop", "rap", "hip hop", "underground hip-hop", "gangsta rap", "trap",
                "east coast rap"),
    "classical": ("classical", "baroque", "romantic", "opera", "piano", "composer",
                  "chamber music"),
    "k-pop": ("k-pop", "korean", "kpop", "girl group", "boy band", "dance-pop", "j-pop"),
    "jazz": ("jazz", "bebop", "smooth jazz", "vocal jazz", "hard bop", "free jazz", "swing"),
    "electronic": ("electronic", "techno", "house", "trance", "ambient", "idm", "drum and bass",
                   "électronique"),
    "indie": ("indie", "indie rock", "indie pop", "shoegaze", "post-rock", "lo-fi", "dream pop",
              "folk"),
    "country": ("country", "americana", "bluegrass", "alt-country", "outlaw country", "honky tonk"),
}
GENERIC_TAGS = (
    "seen live", "favorites", "awesome", "female vocalists", "male vocalists", "00s", "90s", "80s",
    "beautiful", "love", "chillout", "party", "my favorite", "música", "français",
    "chanson française", "japonés", "música latina", "cool", "amazing", "great", "best", "mellow",
    "sad", "happy",
)

_ONSETS = (
    "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p", "pr",
    "r", "s", "sh", "st", "t", "tr", "v", "w", "z"
)
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou", "ea")
_CODAS = ["", "", "", "n", "r", "s", "l", "x", "nd", "th", "ck"]
_HANGUL = tuple("별빛소녀하늘바람꽃달해밤사랑우주미래년단비눈새")


def made_up_word(rng: np.random.Generator, syllables: int | None = None) -> str:
    """A pronounceable, capitalised made-up word such as "Travor" or "Kelandis"."""
    return made_up_words(1, rng, syllables)[0]


def made_up_words(n: int, rng: np.random.Generator, syllables: int | None = None) -> list[str]:
    """``n`` made-up words at once (2-3 syllables unless ``syllables`` is given)."""
    counts = np.full(n, syllables) if syllables else rng.integers(2, 4, n)
    onsets = rng.integers(len(_ONSETS), size=(n, 4))
    vowels = rng.integers(len(_VOWELS), size=(n, 4))
    codas = rng.integers(len(_CODAS), size=n)
    return ["".join(_ONSETS[o] + _VOWELS[v] for o, v in zip(onsets[k, :c], vowels[k, :c]))
            .capitalize() + _CODAS[codas[k]] for k, c in enumerate(counts)]


def film_title(rng: np.random.Generator) -> str:
    """An English-looking film title in MovieLens style (leading article moved to the end)."""
    adjective, noun, other = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
    name = rng.choice(FIRST_NAMES)
    pick = rng.random()
    if pick < 0.25:
        return f"{adjective} {noun}, The"
    if pick < 0.5:
        return f"{adjective} {noun}"
    if pick < 0.62:
        return f"{noun} of the {adjective} {other}"
    if pick < 0.74:
        return f"{name}'s {noun}"
    if pick < 0.84:
        return f"{noun}s, The"
    if pick < 0.92:
        return f"{adjective} {noun} II"
    return f"{made_up_word(rng)}"


# Name templates per group: {w} a made-up word, {W} the same in capitals, {v} a second word,
# {f} a first name, {l} a last name, {a} an adjective, {h} made-up Hangul, {d} a digit.
_ARTIST_STYLES = {
    "metal": ("Black {w}", "Iron {w}", "Blood{w}", "Grave {w}", "{w}throne", "Mørk {w}",
              "{w} Ödeland", "Cult of {w}", "Frost{w}"),
    "hip-hop": ("Lil {w}", "MC {w}", "Young {w}", "{w} Gang", "Kid {w}", "DJ {w} & the Crew",
                "{W}$"),
    "classical": ("Frédéric {w}", "Antonín {w}", "Camille {w}", "Johann {l}-{w}",
                  "{w} String Quartet", "Orchestre de {w}", "{w}er Kammerorchester",
                  "Quartetto {w}"),
    "k-pop": ("{h}", "{h}", "{W}", "{W}{d}", "Girls' {w}", "{w} Boys", "{h} ({W})"),
    "jazz": ("{f} {w} Quartet", "The {f} {w} Trio", "{f} {w}", "{w} Big Band", "{f} {l} & {w}"),
    "electronic": ("{w}", "DJ {w}", "{w}tronic", "{w} & {v}", "Boards of {w}", "{w}wave",
                   "{W} {d}"),
    "indie": ("The {w}s", "{w} Rós", "{a} {w}", "Café {w}", "{w} & the {v}s", "{w}"),
    "country": ("{f} {l}", "The {w} Brothers", "{f} {w}", "{w} County Band", "{f} Mae {w}"),
}


def _fill(template: str, rng: np.random.Generator, w: str, v: str) -> str:
    values = {"w": w, "W": w.upper(), "v": v}
    for key, pool in (("f", FIRST_NAMES), ("l", LAST_NAMES), ("a", ADJECTIVES)):
        if "{" + key + "}" in template:
            values[key] = pool[int(rng.integers(len(pool)))]
    if "{h}" in template:
        size = int(rng.integers(2, 5))
        values["h"] = "".join(_HANGUL[k] for k in rng.integers(len(_HANGUL), size=size))
    if "{d}" in template:
        values["d"] = str(int(rng.integers(1, 10)))
    return template.format(**values)


def artist_names(groups: np.ndarray, group_names: list[str], rng: np.random.Generator) -> list[str]:
    """One distinct made-up artist name per entry of ``groups``, styled by its group."""
    names: list[str] = []
    seen: set[str] = set()
    words, others = made_up_words(len(groups), rng), made_up_words(len(groups), rng, 2)
    for k, group in enumerate(groups):
        styles = _ARTIST_STYLES.get(group_names[group], ("{w}",))
        word = words[k]
        for attempt in range(100):
            name = _fill(styles[int(rng.integers(len(styles)))], rng, word, others[k])
            if name.casefold() not in seen:
                break
            word = made_up_word(rng, 2 + attempt // 10)
        seen.add(name.casefold())
        names.append(name)
    return names


def junk_tags(n: int, rng: np.random.Generator) -> list[str]:
    """Idiosyncratic one-off tags (real tag files are mostly these), some with Latin-1 accents."""
    words = [w.lower() for w in made_up_words(n, rng)]
    templates = ("{} music", "best of {}", "{}", "{} é bom", "my {}", "{}-core", "{} años", "{} ñ")
    return list(dict.fromkeys(templates[k % len(templates)].format(w) for k, w in enumerate(words)))
