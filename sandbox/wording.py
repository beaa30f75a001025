"""Swedish wording for sandbox ads: fictional names, non-explicit titles and texts, relative dates."""
from __future__ import annotations

import random
from dataclasses import dataclass
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
    "Hej där, {name} här, {age} år.",
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


# Decoy content: reviews and "popular cities" that a naive crawler would count as ads.
REVIEW_TITLES = (
    "Trevligt bemötande",
    "Precis som beskrivet",
    "Punktlig och vänlig",
    "Lugn och skön stämning",
    "Rekommenderas varmt",
    "Bra kommunikation innan",
    "Lite sen men trevlig",
    "Diskret och enkelt",
)
REVIEW_TEXTS = (
    "Enkel bokning och ett vänligt mottagande.",
    "Allt fungerade smidigt från början till slut.",
    "Svarade snabbt på sms och höll tiden.",
    "Avslappnad stämning och bra samtal.",
    "Trevlig kväll, kommer gärna tillbaka.",
    "Stämde med annonsen, inga överraskningar.",
)
POPULAR_CITIES = (
    ("stockholm", "Stockholm"),
    ("goteborg", "Göteborg"),
    ("malmo", "Malmö"),
    ("uppsala", "Uppsala"),
    ("linkoping", "Linköping"),
    ("orebro", "Örebro"),
)


def review_stars(stars: int) -> str:
    """'★★★★☆' for 4 of 5."""
    return "★" * stars + "☆" * (5 - stars)


# --- advert wording of the simulation -------------------------------------------------------------
# An advert's wording is drawn once per advert, as patterns with {name}, {age} and {city} slots, so its
# reposts and cross-posts say the same thing (a touring advert changes only its {city}), while a
# person's other adverts are drawn independently and read clearly differently. The pools are large
# so that two persons' adverts rarely share more than a sentence. No base sentence carries a cue of
# the ad features (config/lexicons/): those are added only as planted features, with truth.

ADVERT_TITLES_WITH_CITY = (
    "Ny i stan – {name}", "Avslappnad massage i {city} – {name}", "{name} – trevligt sällskap i {city}",
    "{name} besöker {city} några dagar", "Mysig kväll med {name} i {city}", "Tillbaka i {city} – {name}",
    "Helgsällskap i {city} med {name}", "{name} i {city} – sällskap till middag", "{name} finns i {city} denna vecka",
    "Lugna stunder i {city} med {name}", "{name} tar emot i {city}", "Middag och samtal i {city} – {name}",
    "Söker du sällskap i {city}? – {name}", "{name} söker trevliga män i {city}",
    "{name} ({age}) i centrala {city}", "Sällskap för kvällen i {city}: {name}", "{name} välkomnar dig i {city}",
)
ADVERT_TITLES_ANYWHERE = (
    "Diskret träff med {name}", "{name}, {age}, ny på sidan", "{name} – reser i hela landet",
    "Sällskap och samtal med {name}", "{name} tar emot bokningar nu", "Glad och social – {name}, {age}",
    "Trevligt sällskap – {name}", "{name} söker nya bekantskaper", "En lugn stund med {name}",
    "Söker du sällskap ikväll? {name} finns här", "Want to meet me? {name}, {age}",
)
ADVERT_TITLES_COUPLE = (
    "{name} – trevligt par i {city}", "Paret {name} söker sällskap i {city}", "{name}, par på besök i {city}",
    "Glatt par i {city} – {name}", "{name} välkomnar er i {city}", "Middag och sällskap i {city} med paret {name}",
    "Söker ni sällskap i {city}? Paret {name}",
)
ADVERT_TITLES_COUPLE_ANYWHERE = (
    "Diskret par – {name}", "{name}, nytt par på sidan", "Paret {name} reser i hela landet",
    "Sällskap och samtal med paret {name}",
)
ADVERT_OPENINGS = (
    "Hej! Jag heter {name} och är {age} år.", "Välkommen till min annons, jag heter {name} ({age}).",
    "Hej där, {name} här, {age} år.", "Trevligt att du tittar in! Mitt namn är {name} och jag är {age}.",
    "{name}, {age}, hälsar dig välkommen.", "Hallå! {name} heter jag, {age} år gammal.",
    "God kväll! Du har hittat {name}, {age} år.", "Hej och välkommen, jag är {name} och {age} år.",
    "Här skriver {name}, {age} år och glad.", "Tack för att du läser, jag heter {name} och har fyllt {age}.",
)
ADVERT_OPENINGS_COUPLE = (
    "Hej! Vi är {name}, ett glatt par på {age} år.", "Välkommen! Vi heter {name} och är {age} år.",
    "Hallå där, här är paret {name}, {age} år.", "Trevligt att du hittat oss, {name}, {age} år.",
)
ADVERT_ABOUT = (
    "Jag gillar god mat, långa promenader och bra samtal.", "Jag är lugn, glad och lätt att prata med.",
    "Jag bjuder gärna på en kopp kaffe och en stunds avkoppling.", "Jag tycker om musik, resor och att träffa nya människor.",
    "Jag är noga med diskretion och ett vänligt bemötande.", "Jag läser mycket och pratar gärna om böcker.",
    "På fritiden tränar jag yoga och springer i skogen.", "Jag har ett smittande skratt och ett öppet sinne.",
    "Konst, film och teater är mina stora intressen.", "Jag lagar gärna mat och har alltid något gott i kylen.",
    "Jag är en nyfiken person som gillar att lära mig saker.", "Humor och värme är viktigt för mig.",
    "Jag har ett stort intresse för dans och rörelse.", "Jag uppskattar lugna kvällar med levande ljus.",
    "Jag är social men tycker också om stillsamma stunder.", "Jag är uppvuxen vid havet och älskar att segla.",
    "Jag har en förkärlek för jazz och gamla filmer.", "Jag är omtänksam och lyhörd.",
    "Jag reser gärna och har sett stora delar av världen.", "Mina vänner säger att jag är lätt att umgås med.",
    "Jag trivs i alla sociala sammanhang.", "Jag har alltid ett leende på läpparna.",
)
ADVERT_ABOUT_COUPLE = (
    "Vi gillar god mat, långa promenader och bra samtal.", "Vi är lugna, glada och lätta att prata med.",
    "Vi bjuder gärna på en kopp kaffe och en stunds avkoppling.", "Vi tycker om musik, resor och att träffa nya människor.",
    "Vi är noga med diskretion och ett vänligt bemötande.", "Vi har varit tillsammans i många år.",
    "Vi skrattar mycket och tar livet med ro.", "Vi älskar dans, konserter och långa middagar.",
)
ADVERT_OFFERS = (
    "Jag erbjuder avslappnande massage och trevligt sällskap.", "Jag passar lika bra på en middag som på en promenad i stan.",
    "Jag följer gärna med på middag, bio eller konsert.", "Hos mig kan du koppla av efter en lång dag.",
    "Jag erbjuder sällskap för en kväll eller en hel helg.", "Vi kan ta en drink, prata och se vart kvällen tar oss.",
    "Jag är ett bra sällskap på resor och tillställningar.", "Massage med varma oljor är min specialitet.",
    "Jag tar mig tid och stressar aldrig.", "Middagssällskap och samtal är det jag gör bäst.",
    "Jag kan följa med på fester och middagar.", "Du får en lugn och avslappnad stund med mig.",
)
ADVERT_OFFERS_COUPLE = (
    "Vi erbjuder trevligt sällskap för en kväll.", "Vi följer gärna med på middag eller konsert.",
    "Hos oss kan du koppla av en stund.", "Vi är ett bra sällskap på fester och resor.",
)
ADVERT_PLACES = (
    "Jag finns i {city} hela veckan.", "Just nu är jag i {city}.", "Jag tar emot i {city} eller kommer till dig.",
    "Jag är i {city} några dagar framöver.", "Du hittar mig centralt i {city}.", "Min lägenhet ligger lugnt i {city}.",
    "Jag utgår från {city} men kan resa.", "Jag bor i {city} och tar emot hemma.",
    "Träffas vi i {city} bjuder jag på te.", "Jag gör hembesök i och runt {city}.",
)
ADVERT_PLACES_COUPLE = (
    "Vi finns i {city} hela veckan.", "Just nu är vi i {city}.", "Vi är i {city} några dagar framöver.",
    "Vi tar emot i {city} eller kommer till er.",
)
ADVERT_NOWHERE = (
    "Jag reser runt i hela Sverige.", "Jag finns i hela landet efter överenskommelse.",
    "Jag kan komma till dig var du än bor i Sverige.",
)
ADVERT_NOWHERE_COUPLE = ("Vi reser runt i hela Sverige.", "Vi finns i hela landet efter överenskommelse.")
ADVERT_PRACTICAL = (
    "Tider finns både dagtid och kvällstid.", "Helger går bra efter överenskommelse.", "Sms besvaras snabbast.",
    "Bokning minst en timme i förväg.", "Vardagar passar bäst.", "Kvällar och nätter går också bra.",
    "Förfrågningar besvaras inom en timme.", "Parkering finns nära och kommunikationerna är bra.",
    "Dusch och handduk finns alltid.", "Sena kvällar går också bra.", "Längre träffar bokas helst en dag innan.",
    "Betalning sker i förväg.",
)
ADVERT_CLOSINGS = (
    "Endast seriösa förfrågningar.", "Skicka gärna ett sms först.", "Hör av dig för mer information.",
    "Ring eller sms:a så bestämmer vi en tid.", "Ser fram emot att höra av dig.", "Varmt välkommen!",
    "Kram och hoppas vi ses.", "Ha en fin dag så länge.", "Tveka inte att höra av dig.", "Vi hörs!",
)
# Offers that borrow a buyer's words ("söker", "looking for a girl", "want to meet", "generös man"): the
# lexicon's masks must keep them offers (issue 9). One in three adverts ends with one of them.
ADVERT_CLOSINGS_ASKING = (
    "Söker du en lugn stund? Hör av dig.", "Jag söker trevliga och respektfulla män.",
    "Passar dig som söker en tjej med värme och humor.", "Are you looking for a girl tonight? Send me a message.",
    "Do you want to meet? Send me a message.", "Söker en generös man som vill bli bortskämd.",
    "Du som vill träffa en tjej med glimten i ögat är välkommen.", "Looking for company? I am looking for you.",
)

# The four ad features of the validation study (see config/lexicons/), planted with truth.
AD_FEATURES = ("obscured_phone", "ethnicity", "youth", "trust")
FEATURE_SENTENCES: dict[str, tuple[str, ...]] = {
    "ethnicity": (
        "Jag är thailändsk och har bott i Sverige några år.", "Brasiliansk kvinna med glatt humör.",
        "Rumänsk, lugn och vänlig.", "Asiatisk skönhet med mjuka händer.", "Latina med mycket energi.",
        "Polsk tjej med stort hjärta.", "Sweet Asian lady.",
    ),
    "youth": (
        "Ung och blyg, nyss fyllt 18.", "Ung tjej som är oerfaren.", "Just turned 18.",
        "Young and innocent.", "Ung och oskuldsfull.",
    ),
    "trust": (
        "100 % äkta bilder, inga fejk.", "Verifierad profil, jag är den jag säger att jag är.",
        "Pålitlig och ärlig, inga överraskningar.", "Real pics, 100% genuine.", "Garanterat äkta bilder.",
    ),
    "obscured_phone": ("Sms:a mig på {phone}.", "Nummer: {phone}.", "Ring {phone}.", "Kontakt {phone}."),
}
_SWEDISH_DIGITS = ("noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio")
_ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_LOOKALIKE = str.maketrans({"0": "O", "1": "l"})
OBSCURED_PHONE_FORMS = ("swedish_words", "lookalike", "spaced_digits", "mixed_words", "english_words")


def obscure_phone(national: str, form: str) -> str:
    """A national number (e.g. 0701740605) written to slip past filters: words, look-alike letters, spacing."""
    groups = [national[:3], national[3:6], national[6:8], national[8:]]
    groups = [g for g in groups if g]
    if form == "swedish_words":
        return " – ".join(" ".join(_SWEDISH_DIGITS[int(d)] for d in group) for group in groups)
    if form == "english_words":
        return " ".join(_ENGLISH_DIGITS[int(d)] for d in national)
    if form == "lookalike":
        return f"{groups[0].translate(_LOOKALIKE)}-{' '.join(g.translate(_LOOKALIKE) for g in groups[1:])}"
    if form == "spaced_digits":  # the trunk 0 as a letter: no page shows the plain digit run
        return " ".join("O" + national[1:])
    if form == "mixed_words":
        head = " ".join(_SWEDISH_DIGITS[int(d)] for d in groups[0])
        return f"{head} {' '.join(groups[1:])}"
    raise ValueError(f"unknown obscured phone form: {form}")


@dataclass(frozen=True)
class AdvertWording:
    """An advert's title and text as patterns with {name}, {age} and {city} slots."""

    title: str
    text: str

    def fill(self, name: str, age: int, city: str | None) -> tuple[str, str]:
        values = {"name": name, "age": age, "city": city or "Sverige"}
        return self.title.format(**values), self.text.format(**values)


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def compose_advert(rng: random.Random, *, couple: bool, has_city: bool, features: frozenset[str] = frozenset(),
                   obscured_phone: str | None = None) -> AdvertWording:
    """One advert's wording, drawn from large pools; planted features add their sentences."""
    if couple:
        titles = ADVERT_TITLES_COUPLE if has_city and rng.random() < 0.7 else ADVERT_TITLES_COUPLE_ANYWHERE
    else:
        titles = ADVERT_TITLES_WITH_CITY if has_city and rng.random() < 0.7 else ADVERT_TITLES_ANYWHERE
    title = rng.choice(titles)
    if couple:
        parts = [rng.choice(ADVERT_OPENINGS_COUPLE), *rng.sample(ADVERT_ABOUT_COUPLE, 2), rng.choice(ADVERT_OFFERS_COUPLE),
                 rng.choice(ADVERT_PLACES_COUPLE if has_city else ADVERT_NOWHERE_COUPLE)]
    else:
        parts = [rng.choice(ADVERT_OPENINGS), *rng.sample(ADVERT_ABOUT, 2), rng.choice(ADVERT_OFFERS),
                 rng.choice(ADVERT_PLACES if has_city else ADVERT_NOWHERE)]
    closing = rng.choice(ADVERT_CLOSINGS_ASKING) if rng.random() < 1 / 3 else rng.choice(ADVERT_CLOSINGS)
    parts += [rng.choice(ADVERT_PRACTICAL), closing]
    for feature in sorted(features):
        sentence = rng.choice(FEATURE_SENTENCES[feature])
        if feature == "obscured_phone":
            if not obscured_phone:
                continue
            sentence = sentence.replace("{phone}", _literal(obscured_phone))
        parts.insert(rng.randint(1, len(parts) - 1), sentence)
    return AdvertWording(title, " ".join(parts))
