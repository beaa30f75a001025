"""Swedish wording for sandbox ads: fictional names, non-explicit titles and texts, relative dates."""
from __future__ import annotations

import random
from datetime import datetime

FEMALE_NAMES = (
    "Lina", "Ella", "Maja", "Nora", "Saga", "Wilma", "Alva", "Selma", "Elsa", "Tilda",
    "Freja", "Ebba", "Hedda", "Ronja", "Signe", "Tyra", "Vera", "Stella", "Iris", "Juni",
    "Klara", "Lova", "Mira", "Nova", "Siri", "Livia", "Thea", "Edith", "Majken", "Ester",
    "Linnea", "Agnes", "Greta", "Hanna", "Isolde", "Jolina", "Kajsa", "Leia", "Malva", "Nellie",
    "Olivia", "Petra", "Rebecka", "Sonja", "Tova", "Ulrika", "Viola", "Yrsa", "Zelda", "Amira",
    "Bianca", "Celine", "Dagny", "Elvira", "Filippa", "Gunnel", "Hillevi", "Ingrid", "Jasmine", "Karolina",
    "Lykke", "Melina", "Nathalie", "Ofelia", "Pernilla", "Ronya", "Sabina", "Tindra", "Ylva", "Åsa",
    "Annika", "Cornelia", "Diana", "Elina", "Fanny", "Gabriella", "Hilda", "Idun", "Jessika", "Kim",
)
MALE_NAMES = (
    "Max", "Oskar", "Viktor", "Albin", "Elias", "Hugo", "Isak", "Jonas", "Ludvig", "Malte",
    "Noel", "Otto", "Pontus", "Rasmus", "Sixten", "Teodor", "Valter", "Wilhelm", "Arvid", "Birger",
    "Casper", "Dante", "Emil", "Frans", "Gustav",
)

CATEGORY_WEIGHTS: dict[str, int] = {"Kvinna": 76, "Man": 9, "Trans": 8, "Par": 7}

# {name} is always in the title so each title is distinctive; {city} only where a place is known.
TITLES_WITH_CITY = (
    "Ny i stan – {name}",
    "Avslappnad massage i {city} – {name}",
    "{name} – trevligt sällskap i {city}",
    "{name} besöker {city} några dagar",
    "Mysig kväll med {name} i {city}",
    "Tillbaka i {city} – {name}",
    "Helgsällskap i {city} med {name}",
    "{name} i {city} – sällskap till middag",
    "{name} finns i {city} denna vecka",
)
TITLES_ANYWHERE = (
    "Diskret träff med {name}",
    "{name}, {age}, ny på sidan",
    "{name} – reser i hela landet",
    "Sällskap och samtal med {name}",
    "{name} tar emot bokningar nu",
    "Glad och social – {name}, {age}",
)
TITLES_COUPLE = (
    "{name} – trevligt par i {city}",
    "Paret {name} söker sällskap i {city}",
    "{name}, par på besök i {city}",
    "Glatt par i {city} – {name}",
    "{name} välkomnar er i {city}",
    "Middag och sällskap i {city} med paret {name}",
)
TITLES_COUPLE_ANYWHERE = (
    "Diskret par – {name}",
    "{name}, nytt par på sidan",
    "Paret {name} reser i hela landet",
    "Sällskap och samtal med paret {name}",
)

OPENINGS = (
    "Hej! Jag heter {name} och är {age} år.",
    "Välkommen till min annons, jag heter {name} ({age}).",
    "Hej där, {name} här, {age} år ung.",
    "Trevligt att du tittar in! Mitt namn är {name} och jag är {age}.",
)
OPENINGS_COUPLE = (
    "Hej! Vi är {name}, ett glatt par på {age} år.",
    "Välkommen! Vi heter {name} och är {age} år.",
)
MIDDLES = (
    "Jag gillar god mat, långa promenader och bra samtal.",
    "Jag är lugn, glad och lätt att prata med.",
    "Jag bjuder gärna på en kopp kaffe och en stunds avkoppling.",
    "Jag tycker om musik, resor och att träffa nya människor.",
    "Jag är noga med diskretion och ett vänligt bemötande.",
    "Jag erbjuder avslappnande massage och trevligt sällskap.",
    "Jag passar lika bra på en middag som på en promenad i stan.",
)
MIDDLES_COUPLE = (
    "Vi gillar god mat, långa promenader och bra samtal.",
    "Vi är lugna, glada och lätta att prata med.",
    "Vi bjuder gärna på en kopp kaffe och en stunds avkoppling.",
    "Vi tycker om musik, resor och att träffa nya människor.",
    "Vi är noga med diskretion och ett vänligt bemötande.",
)
PLACE_LINES = (
    "Jag finns i {city} hela veckan.",
    "Just nu är jag i {city}.",
    "Jag tar emot i {city} eller kommer till dig.",
    "Jag är i {city} några dagar framöver.",
)
PLACE_LINES_COUPLE = (
    "Vi finns i {city} hela veckan.",
    "Just nu är vi i {city}.",
    "Vi är i {city} några dagar framöver.",
)
CLOSINGS = (
    "Endast seriösa förfrågningar.",
    "Skicka gärna ett sms först.",
    "Hör av dig för mer information.",
    "Bokning minst en timme i förväg.",
    "Ring eller sms:a så bestämmer vi en tid.",
)

SWEDISH_MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def pick_title(rng: random.Random, name: str, age: int, city: str | None, couple: bool) -> str:
    if couple:
        pool = TITLES_COUPLE if city and rng.random() < 0.7 else TITLES_COUPLE_ANYWHERE
    elif city and rng.random() < 0.7:
        pool = TITLES_WITH_CITY
    else:
        pool = TITLES_ANYWHERE
    return rng.choice(pool).format(name=name, age=age, city=city)


def pick_text(rng: random.Random, name: str, age: int, city: str | None, couple: bool) -> str:
    parts = [rng.choice(OPENINGS_COUPLE if couple else OPENINGS).format(name=name, age=age)]
    parts.extend(rng.sample(MIDDLES_COUPLE if couple else MIDDLES, 2))
    if city:
        parts.append(rng.choice(PLACE_LINES_COUPLE if couple else PLACE_LINES).format(city=city))
    else:
        parts.append("Vi reser runt i hela Sverige." if couple else "Jag reser runt i hela Sverige.")
    parts.append(rng.choice(CLOSINGS))
    return " ".join(parts)


def relative_posted_text(posted_at: datetime, as_of: datetime) -> str:
    """Swedish relative date as ads show it: 'idag 14:05', 'igår 22:10', '3 dagar sedan', '12 nov'.

    Both datetimes must be in the same (Stockholm) time zone; days are calendar days.
    """
    days = (as_of.date() - posted_at.date()).days
    if days <= 0:
        return f"idag {posted_at:%H:%M}"
    if days == 1:
        return f"igår {posted_at:%H:%M}"
    if days < 7:
        return f"{days} dagar sedan"
    return f"{posted_at.day} {SWEDISH_MONTHS[posted_at.month - 1]}"
