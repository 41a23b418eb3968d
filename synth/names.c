/* names.c - the vocabularies of the synthetic world (see names.h). City names are
 * real: French communes roughly by population, overseas departments, then francophone
 * and international cities; the long tail of small towns is composed from parts. */
#include "names.h"

const char *const synth_real_cities[] = {
    "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Montpellier", "Strasbourg",
    "Bordeaux", "Lille", "Rennes", "Reims", "Toulon", "Saint-Étienne", "Le Havre", "Grenoble",
    "Dijon", "Angers", "Villeurbanne", "Saint-Denis", "Nîmes", "Clermont-Ferrand", "Le Mans",
    "Aix-en-Provence", "Brest", "Tours", "Amiens", "Limoges", "Annecy", "Perpignan",
    "Boulogne-Billancourt", "Metz", "Besançon", "Orléans", "Saint-Paul", "Rouen", "Argenteuil",
    "Mulhouse", "Montreuil", "Caen", "Nancy", "Saint-Pierre", "Tourcoing", "Roubaix",
    "Nanterre", "Vitry-sur-Seine", "Avignon", "Créteil", "Poitiers", "Dunkerque",
    "Aubervilliers", "Versailles", "Aulnay-sous-Bois", "Asnières-sur-Seine", "Colombes",
    "Saint-Maur-des-Fossés", "Courbevoie", "Le Tampon", "Cherbourg-en-Cotentin",
    "Fort-de-France", "Rueil-Malmaison", "Béziers", "Champigny-sur-Marne", "Pau",
    "La Rochelle", "Saint-Nazaire", "Mérignac", "Antibes", "Saint-Quentin-en-Yvelines",
    "Colmar", "Ajaccio", "Issy-les-Moulineaux", "Levallois-Perret", "Noisy-le-Grand",
    "Quimper", "La Seyne-sur-Mer", "Valence", "Bourges", "Vénissieux", "Villeneuve-d'Ascq",
    "Cergy", "Neuilly-sur-Seine", "Troyes", "Antony", "Pessac", "Ivry-sur-Seine", "Niort",
    "Chambéry", "Sarcelles", "Lorient", "Clichy", "Cayenne", "Villejuif", "Les Abymes",
    "Saint-André", "Le Blanc-Mesnil", "Cannes", "Hyères", "Épinay-sur-Seine", "Beauvais",
    "Maisons-Alfort", "Saint-Louis", "Meaux", "Chelles", "Pantin", "Évry-Courcouronnes",
    "Fontenay-sous-Bois", "Fréjus", "Vannes", "Bondy", "La Roche-sur-Yon", "Arles", "Clamart",
    "Narbonne", "Annemasse", "Sartrouville", "Grasse", "Laval", "Belfort", "Bayonne", "Évreux",
    "Vincennes", "Montrouge", "Sevran", "Albi", "Charleville-Mézières", "Suresnes",
    "Martigues", "Corbeil-Essonnes", "Saint-Ouen-sur-Seine", "Bastia", "Cagnes-sur-Mer",
    "Massy", "Brive-la-Gaillarde", "Carcassonne", "Blois", "Aubagne", "Saint-Brieuc",
    "Châteauroux", "Chalon-sur-Saône", "Mantes-la-Jolie", "Meudon", "Saint-Malo",
    "Châlons-en-Champagne", "Alfortville", "Sète", "Salon-de-Provence", "Vaulx-en-Velin",
    "Puteaux", "Rosny-sous-Bois", "Saint-Herblain", "Gennevilliers", "Le Cannet",
    "Livry-Gargan", "Saint-Priest", "Istres", "Valenciennes", "Choisy-le-Roi",
    "Caluire-et-Cuire", "Boulogne-sur-Mer", "Angoulême", "Tarbes", "Talence",
    "Wattrelos", "Castres", "Arras", "Douai", "Compiègne", "Thionville", "Bourg-en-Bresse",
    "Gap", "Melun", "Saint-Germain-en-Laye", "Rezé", "Noisy-le-Sec", "Gagny", "Anglet",
    "Montélimar", "Chartres", "Draguignan", "Colomiers", "Bron", "Saint-Raphaël",
    "Marcq-en-Barœul", "Poissy", "Villefranche-sur-Saône", "Nevers", "Échirolles", "Auxerre",
    "Saint-Laurent-du-Maroni", "Montauban", "Mâcon", "Agen", "Vienne", "Périgueux",
    "Saint-Chamond", "Cholet", "Bagneux", "Pontault-Combault", "Viry-Châtillon",
    "Sotteville-lès-Rouen", "Le Lamentin", "Stains", "Haguenau", "Roanne", "Bobigny",
    "Villepinte", "Neuilly-sur-Marne", "Saint-Benoît", "Montluçon", "Dreux", "Schiltigheim",
    "Lens", "Laon", "Saint-Dié-des-Vosges", "Cambrai", "Épinal", "Alès", "Lunel", "Dax",
    "Mont-de-Marsan", "Vichy", "Rodez", "Millau", "Aurillac", "Le Puy-en-Velay", "Saumur",
    "Lannion", "Morlaix", "Saint-Lô", "Alençon", "Lisieux", "Fécamp", "Dieppe", "Abbeville",
    "Soissons", "Saint-Omer", "Calais", "Maubeuge", "Sedan", "Verdun", "Bar-le-Duc",
    "Lunéville", "Sarreguemines", "Forbach", "Sélestat", "Saverne", "Montbéliard",
    "Pontarlier", "Lons-le-Saunier", "Dole", "Beaune", "Sens", "Autun", "Nogent-sur-Marne",
    "Étampes", "Rambouillet", "Fontainebleau", "Provins", "Chantilly", "Senlis", "Creil",
    "Pontoise", "Argentan", "Granville", "Coutances", "Fougères", "Vitré", "Dinan",
    "Quimperlé", "Concarneau", "Douarnenez", "Saint-Avold", "Thonon-les-Bains",
    "Évian-les-Bains", "Aix-les-Bains", "Albertville", "Chamonix-Mont-Blanc", "Briançon",
    "Digne-les-Bains", "Manosque", "Carpentras", "Orange", "Cavaillon", "Menton",
    "Saint-Tropez", "Biarritz", "Lourdes", "Foix", "Pamiers", "Auch", "Cahors", "Figeac",
    "Sarlat-la-Canéda", "Bergerac", "Libourne", "Arcachon", "Royan", "Rochefort", "Cognac",
    "Saintes", "Châtellerault", "Thouars", "Bressuire", "Les Sables-d'Olonne",
    "Saint-Jean-de-Luz", "Hendaye", "Oloron-Sainte-Marie", "Mende", "Privas", "Aubenas",
    "Annonay", "Romans-sur-Isère", "Vierzon", "Issoudun", "Montargis", "Pithiviers", "Gien",
    "Vendôme", "Romorantin-Lanthenay", "Amboise", "Chinon", "Loches", "Mayenne",
    "Sablé-sur-Sarthe", "La Flèche", "Château-Gontier", "Ancenis", "Châteaubriant", "Pornic",
    "Guérande", "La Baule-Escoublac", "Redon", "Ploërmel", "Pontivy", "Guingamp", "Paimpol",
    "Mamoudzou", "Basse-Terre", "Pointe-à-Pitre", "Saint-Martin", "Nouméa", "Papeete",
    "Saint-Pierre-et-Miquelon", "Bruxelles", "Genève", "Montréal", "Lausanne", "Liège",
    "Luxembourg", "Québec", "Charleroi", "Namur", "Casablanca", "Alger", "Tunis", "Dakar",
    "Abidjan", "Rabat", "Marrakech", "Oran", "Sfax", "Bamako", "Douala", "Yaoundé", "Kinshasa",
    "Libreville", "Lomé", "Cotonou", "Niamey", "Ouagadougou", "Conakry", "Antananarivo",
    "Port-Louis", "Beyrouth", "London", "Berlin", "Madrid", "Barcelona", "Lisboa", "Porto",
    "Roma", "Milano", "Amsterdam", "Rotterdam", "Antwerpen", "Gent", "Zürich", "Basel", "Bern",
    "München", "Frankfurt am Main", "Köln", "Hamburg", "Stuttgart", "Düsseldorf", "Wien",
    "Praha", "Warszawa", "Kraków", "Budapest", "Bucureşti", "Sofia", "Athína", "İstanbul",
    "Dublin", "Manchester", "Birmingham", "Edinburgh", "Glasgow", "Oslo", "Stockholm",
    "København", "Helsinki", "Reykjavík", "Tallinn", "Rīga", "Vilnius", "Moskva", "Kyiv",
    "New York", "Los Angeles", "Chicago", "Houston", "Miami", "San Francisco", "Toronto",
    "Vancouver", "Ciudad de México", "São Paulo", "Rio de Janeiro", "Buenos Aires", "Santiago",
    "Bogotá", "Lima", "Caracas", "La Habana", "Tokyo", "Osaka", "Seoul", "Beijing", "Shanghai",
    "Hong Kong", "Singapore", "Bangkok", "Hà Nội", "Hồ Chí Minh", "Mumbai", "Delhi", "Dubai",
    "Doha", "Tel Aviv", "Cairo", "Johannesburg", "Cape Town", "Lagos", "Nairobi", "Sydney",
    "Melbourne", "Auckland",
};
const size_t synth_n_real_cities = sizeof synth_real_cities / sizeof *synth_real_cities;

const char *const synth_town_roots[] = {
    "Montfort", "Beaumont", "Villeneuve", "Châteauneuf", "Bellevue", "Roche", "Fontaine",
    "Mont", "Val", "Pont", "Belleville", "Clairvaux", "Rochefort", "Montreuil", "Neuville",
    "Villers", "Bourg", "Castel", "Saint-Martin", "Saint-Julien", "Saint-Pierre",
    "Sainte-Marie", "Saint-Jean", "Saint-Laurent", "Saint-Georges", "Saint-Germain",
    "Saint-Hilaire", "Sainte-Croix", "Saint-Michel", "Saint-Vincent", "Aubigny", "Champagne",
    "Marigny", "Savigny", "Vernon", "Plessis", "Mesnil", "Fresnay", "Bois", "Lac", "Puy",
    "Coulanges", "Vaux", "Boissy", "Cormeilles", "Louvigny", "Montigny", "Chaumont", "Maisons",
    "Ville",
};
const size_t synth_n_town_roots = sizeof synth_town_roots / sizeof *synth_town_roots;

const char *const synth_town_suffixes[] = {
    "-sur-Loire", "-sur-Mer", "-sur-Seine", "-sur-Marne", "-sur-Saône", "-en-Provence",
    "-le-Château", "-les-Bains", "-la-Forêt", "-le-Vieux", "-sur-Rhône", "-en-Bresse",
    "-sur-Garonne", "-la-Rivière", "-les-Vignes", "-sous-Bois", "-de-Bretagne", "-en-Auvergne",
    "-sur-Dordogne", "-le-Grand", "-le-Petit", "-en-Vexin", "-sur-Orne", "-lès-Dijon",
    "-sur-Lot", "-des-Champs", "-aux-Bois", "-du-Lac", "-sur-Vienne", "-en-Velay", "-sur-Cher",
    "-la-Chapelle", "-le-Comte", "-sur-Aube", "-en-Brie", "-sur-Allier", "-sous-Roche",
    "-d'Azur", "-les-Pins", "-sur-Sarthe", "-la-Ville", "-Saint-Denis", "-en-Forez",
    "-sur-Isère", "-les-Ponts", "-le-Haut", "-le-Bas", "-sur-Meuse", "-sur-Moselle",
    "-en-Argonne",
};
const size_t synth_n_town_suffixes = sizeof synth_town_suffixes / sizeof *synth_town_suffixes;

const char *const synth_main_genres[SYNTH_N_MAIN_GENRES] = {
    "Alternative", "Chanson française", "Chill Out/Trip-Hop/Lounge", "Classique", "Dance",
    "Electro", "Films/Jeux vidéo", "Latino", "Metal", "Musique africaine", "Musiques de films",
    "Pop", "Pop Indé", "Pop internationale", "Pop latine", "R&B", "Rap français", "Rap/Hip Hop",
    "Reggae", "Rock", "Rock indé", "Singer & Songwriter", "Soul", "Soul & Funk", "Techno/House",
    "Variété Internationale", "World",
};

const char *const synth_rare_genres[SYNTH_N_RARE_GENRES] = {
    "Jazz", "Blues", "Folk", "Country", "Disco", "Kids", "Gospel", "Dubstep", "Kompa",
    "Brazilian Music", "Asian Music", "K-Pop", "Bollywood", "Flamenco", "Fado", "Tango", "Opera",
    "Comedy", "Spoken Word", "Christmas", "Drum & Bass", "Ska", "Punk", "Zouk",
};

/* 9 genres on 2 to 4 albums and 15 on one: 42 memberships in all at report size. */
const unsigned synth_rare_counts[SYNTH_N_RARE_GENRES] = {
    4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

const char *const synth_ages[SYNTH_N_AGES] = {
    "unknown", "0-17", "18-24", "25-34", "35-44", "45-54", "55+",
};

const char *const synth_platforms[SYNTH_N_PLATFORMS] = {
    "android", "ios", "web", "osx", "windowsuniversal", "windowsphone",
};
