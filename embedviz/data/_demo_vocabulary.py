"""Word lists for the demo catalogue's made-up titles, one vocabulary per genre.

Titles only have to read like a film catalogue; the genre-specific words make
clusters in the scatter recognisable at a glance ("Galaxy", "Nebula" in Sci-Fi).
"""

GENRES = {
    # genre: (adjectives, nouns, relative catalogue share, related genres)
    "Action": (["Final", "Deadly", "Iron", "Rogue", "Silent", "Burning"],
               ["Strike", "Protocol", "Vengeance", "Fury", "Extraction", "Siege"], 1.4, ["Adventure", "Thriller", "Sci-Fi"]),
    "Adventure": (["Lost", "Hidden", "Wild", "Golden", "Forgotten", "Distant"],
                  ["Expedition", "Treasure", "Island", "Voyage", "Kingdom", "Map"], 1.0, ["Action", "Fantasy", "Family"]),
    "Animation": (["Little", "Brave", "Magic", "Tiny", "Curious", "Happy"],
                  ["Robot", "Fox", "Dragon", "Penguin", "Balloon", "Toybox"], 0.7, ["Family", "Comedy", "Fantasy"]),
    "Comedy": (["Crazy", "Awkward", "Big", "Wedding", "Accidental", "Lucky"],
               ["Weekend", "Roommates", "Vacation", "Party", "Neighbours", "Blunder"], 1.5, ["Romance", "Family"]),
    "Crime": (["Dirty", "Cold", "Crooked", "Heavy", "Marked", "Dark"],
              ["Money", "Heist", "Syndicate", "Alibi", "Street", "Racket"], 0.9, ["Thriller", "Drama", "Mystery"]),
    "Documentary": (["True", "Inside", "Untold", "Deep", "Living", "Hidden"],
                    ["Planet", "Story", "Ocean", "Archive", "Frontier", "Record"], 0.6, []),
    "Drama": (["Quiet", "Broken", "Long", "Tender", "Distant", "Last"],
              ["Summer", "Letters", "Promise", "Harvest", "Shore", "Daughter"], 1.6, ["Romance", "Crime"]),
    "Family": (["Great", "Sunny", "Holiday", "Friendly", "Sweet", "Magic"],
               ["Puppy", "Farm", "Christmas", "Camp", "Treehouse", "Picnic"], 0.6, ["Animation", "Comedy", "Adventure"]),
    "Fantasy": (["Enchanted", "Shadow", "Elven", "Crystal", "Ancient", "Cursed"],
                ["Sword", "Realm", "Sorcerer", "Throne", "Prophecy", "Wand"], 0.8, ["Adventure", "Animation"]),
    "Horror": (["Haunted", "Bloody", "Hollow", "Crawling", "Wicked", "Pale"],
               ["House", "Ritual", "Cellar", "Possession", "Scream", "Woods"], 1.0, ["Thriller", "Mystery"]),
    "Musical": (["Singing", "Broadway", "Jazz", "Dancing", "Golden", "Velvet"],
                ["Melody", "Stage", "Rhythm", "Ballroom", "Chorus", "Serenade"], 0.4, ["Romance", "Comedy"]),
    "Mystery": (["Missing", "Secret", "Vanishing", "Locked", "Silent", "Twelfth"],
                ["Clue", "Manor", "Detective", "Witness", "Cipher", "Riddle"], 0.7, ["Crime", "Thriller"]),
    "Romance": (["Sweet", "Endless", "Paris", "Second", "Moonlit", "Unexpected"],
                ["Love", "Kiss", "Heart", "Affair", "Honeymoon", "Valentine"], 1.1, ["Comedy", "Drama"]),
    "Sci-Fi": (["Quantum", "Stellar", "Cyber", "Orbital", "Neon", "Andromeda"],
               ["Galaxy", "Android", "Nebula", "Colony", "Starship", "Singularity"], 1.0, ["Action", "Adventure", "Thriller"]),
    "Thriller": (["Blind", "Hostile", "Deep", "Dead", "Perfect", "Hidden"],
                 ["Conspiracy", "Target", "Agent", "Pursuit", "Hostage", "Signal"], 1.2, ["Action", "Crime", "Mystery"]),
    "Western": (["Dusty", "Lone", "Outlaw", "Rusty", "High", "Painted"],
                ["Canyon", "Ranch", "Sheriff", "Gunslinger", "Frontier", "Saloon"], 0.4, ["Action", "Drama"]),
}

SUFFIXES = ["", "", "", "", " II", " Returns", ": The Beginning", " Forever", " Rising", ": Part Two"]
