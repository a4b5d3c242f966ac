"""English plurals from a table of suffix rules, the way inflection libraries do it."""
import re

# (pattern, replacement): in each table, the first rule whose pattern matches the word makes its plural
RULES = [
    (r"(?i)(quiz)$", r"\1zes"),
    (r"(?i)^(ox)$", r"\1en"),
    (r"(?i)(m|l)ouse$", r"\1ice"),
    (r"(?i)(matr|vert|ind)(?:ix|ex)$", r"\1ices"),
    (r"(?i)(x|ch|ss|sh)$", r"\1es"),
    (r"(?i)([^aeiouy]|qu)y$", r"\1ies"),
    (r"(?i)(hive)$", r"\1s"),
    (r"(?i)([lr])f$", r"\1ves"),
    (r"(?i)([^f])fe$", r"\1ves"),
    (r"(?i)sis$", r"ses"),
    (r"(?i)([ti])um$", r"\1a"),
    (r"(?i)(buffal|potat|tomat|her|ech)o$", r"\1oes"),
    (r"(?i)(bu)s$", r"\1ses"),
    (r"(?i)(alias|status)$", r"\1es"),
    (r"(?i)(octop|vir)us$", r"\1i"),
    (r"(?i)^(ax|test)is$", r"\1es"),
    (r"(?i)(cact|fung|nucle|radi)us$", r"\1i"),
    (r"(?i)(criteri|phenomen)on$", r"\1a"),
    (r"(?i)(append|ind)ix$", r"\1ices"),
    (r"(?i)(z)$", r"\1zes"),
    (r"(?i)s$", r"s"),
    (r"$", r"s"),
]
SINGULAR_RULES = [
    (r"(?i)(quiz)zes$", r"\1"),
    (r"(?i)(matr)ices$", r"\1ix"),
    (r"(?i)(vert|ind)ices$", r"\1ex"),
    (r"(?i)^(ox)en", r"\1"),
    (r"(?i)(alias|status)(es)?$", r"\1"),
    (r"(?i)(octop|vir)(us|i)$", r"\1us"),
    (r"(?i)(cris|test)(is|es)$", r"\1is"),
    (r"(?i)(shoe)s$", r"\1"),
    (r"(?i)(o)es$", r"\1"),
    (r"(?i)(bus)(es)?$", r"\1"),
    (r"(?i)(m|l)ice$", r"\1ouse"),
    (r"(?i)(x|ch|ss|sh)es$", r"\1"),
    (r"(?i)(m)ovies$", r"\1ovie"),
    (r"(?i)(s)eries$", r"\1eries"),
    (r"(?i)([^aeiouy]|qu)ies$", r"\1y"),
    (r"(?i)([lr])ves$", r"\1f"),
    (r"(?i)(hive)s$", r"\1"),
    (r"(?i)([^f])ves$", r"\1fe"),
    (r"(?i)(^analy)(sis|ses)$", r"\1sis"),
    (r"(?i)([ti])a$", r"\1um"),
    (r"(?i)(n)ews$", r"\1ews"),
    (r"(?i)(ss)$", r"\1"),
    (r"(?i)s$", r""),
]
UNCOUNTABLE = {
    "accommodation",
    "advice",
    "aid",
    "aircraft",
    "applause",
    "baggage",
    "bison",
    "bread",
    "butter",
    "cash",
    "cattle",
    "chaos",
    "chassis",
    "chess",
    "clothing",
    "coal",
    "cod",
    "coffee",
    "corps",
    "cotton",
    "courage",
    "currency",
    "deer",
    "dirt",
    "dust",
    "electricity",
    "employment",
    "energy",
    "entertainment",
    "equipment",
    "evidence",
    "fish",
    "flour",
    "fun",
    "furniture",
    "garbage",
    "gas",
    "glass",
    "gold",
    "grass",
    "gravel",
    "hair",
    "happiness",
    "harm",
    "health",
    "heat",
    "help",
    "homework",
    "honey",
    "ice",
    "information",
    "jeans",
    "jewelry",
    "juice",
    "justice",
    "knowledge",
    "laughter",
    "leisure",
    "lightning",
    "literature",
    "luck",
    "luggage",
    "machinery",
    "mail",
    "meat",
    "milk",
    "money",
    "moose",
    "mud",
    "music",
    "news",
    "offspring",
    "oil",
    "oxygen",
    "paper",
    "patience",
    "peace",
    "permission",
    "pliers",
    "poetry",
    "police",
    "pollution",
    "progress",
    "research",
    "respect",
    "rice",
    "salmon",
    "sand",
    "scenery",
    "series",
    "sheep",
    "shopping",
    "shrimp",
    "silver",
    "smoke",
    "snow",
    "soap",
    "software",
    "spaghetti",
    "species",
    "squid",
    "steam",
    "sugar",
    "sunshine",
    "swine",
    "tea",
    "thunder",
    "toast",
    "traffic",
    "transportation",
    "trash",
    "trout",
    "tuna",
    "vinegar",
    "violence",
    "warmth",
    "water",
    "weather",
    "wheat",
    "wildlife",
    "wine",
    "wood",
    "wool",
    "work",
}


def _irregular(singular, plural):
    """Add rules for an irregular plural, ahead of the suffix rules (both ways)."""
    RULES.insert(0, ("(?i)^(" + singular[0] + ")" + singular[1:] + "$", r"\1" + plural[1:]))
    SINGULAR_RULES.insert(0, ("(?i)^(" + plural[0] + ")" + plural[1:] + "$", r"\1" + singular[1:]))


_irregular("person", "people")
_irregular("child", "children")
_irregular("goose", "geese")
_irregular("foot", "feet")


def pluralize(word):
    """The plural of an English word: unchanged when the word is uncountable (any case), else made by
    the first rule of RULES whose pattern matches it; an empty word stays empty."""
    if not word or word.lower() in UNCOUNTABLE:
        return word
    for pattern, replacement in RULES:
        if re.search(pattern, word):
            return re.sub(pattern, replacement, word)
    return word


def singularize(word):
    """The singular of an English word: unchanged when the word is uncountable (any case), else made by
    the first rule of SINGULAR_RULES whose pattern matches it; an empty word stays empty."""
    if not word or word.lower() in UNCOUNTABLE:
        return word
    for pattern, replacement in SINGULAR_RULES:
        if re.search(pattern, word):
            return re.sub(pattern, replacement, word)
    return word
