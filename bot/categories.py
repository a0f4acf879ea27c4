"""arXiv's category taxonomy as data, with lookups for commands and autocomplete.

Written from https://arxiv.org/category_taxonomy. Codes are case-sensitive on arXiv (``cs.CL``),
so user input is matched case-insensitively and turned back into the canonical code.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

CATEGORIES: dict[str, str] = {
    # Computer Science
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    # Economics
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    # Electrical Engineering and Systems Science
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    # Mathematics
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    # Physics
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics",
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    "quant-ph": "Quantum Physics",
    # Quantitative Biology
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    # Quantitative Finance
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    # Statistics
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
}

_BY_LOWER: dict[str, str] = {code.lower(): code for code in CATEGORIES}


def _archives() -> dict[str, tuple[str, ...]]:
    """Archives whose categories carry a dotted subject (``cs`` -> cs.AI, cs.AR, ...).

    Single-category archives such as hep-th or quant-ph are categories themselves.
    """
    archives: dict[str, list[str]] = {}
    for code in CATEGORIES:
        if "." in code:
            archives.setdefault(code.split(".", 1)[0], []).append(code)
    return {archive: tuple(codes) for archive, codes in archives.items()}


ARCHIVES: dict[str, tuple[str, ...]] = _archives()


def canonical(code: str) -> str | None:
    """The canonical spelling of a code in any letter case (``cs.cl`` -> ``cs.CL``), else None."""
    return _BY_LOWER.get(code.strip().lower())


def is_category(code: str) -> bool:
    """True for a known category code, in any letter case."""
    return canonical(code) is not None


def expand(code: str) -> list[str]:
    """The categories a user means: ``cs.CL`` -> [cs.CL]; ``cs`` or ``cs.*`` -> every cs category.

    Unknown codes give an empty list.
    """
    key = code.strip().lower()
    archive = key.removesuffix(".*")
    if archive in ARCHIVES:
        return list(ARCHIVES[archive])
    if key.endswith(".*"):
        return []
    found = canonical(key)
    return [found] if found is not None else []


def _similarity(query: str, code: str) -> float:
    """How close ``query`` (lower case) is to a category's code or name, from 0 to 1."""
    name = CATEGORIES[code].lower()
    subject = code.lower().split(".", 1)[-1]
    if query == subject:
        return 0.95
    if len(query) >= 3 and query in name:
        return 0.8
    matcher = difflib.SequenceMatcher(None, query, code.lower())
    score = matcher.ratio()
    return max(score, difflib.SequenceMatcher(None, query, name).ratio())


def close_matches(code: str, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` categories a mistyped ``code`` probably meant, closest first.

    Compares with every code and name (``lg`` -> cs.LG, ``vision`` -> cs.CV, ``cs.CLL`` -> cs.CL);
    ties go alphabetically, so the answer never depends on dict order.
    """
    query = code.strip().lower()
    if not query:
        return []
    scored = [(_similarity(query, candidate), candidate) for candidate in CATEGORIES]
    ranked = sorted((item for item in scored if item[0] >= cutoff), key=lambda s: (-s[0], s[1]))
    return [candidate for _, candidate in ranked[:n]]


def suggest(prefix: str, limit: int = 25) -> list[tuple[str, str]]:
    """(code, name) pairs for an autocomplete box (Discord allows at most 25 choices).

    Order: codes starting with ``prefix``, then codes whose subject starts with it (``lg``),
    then names containing it (``vision``); all case-insensitive. An empty prefix lists the
    taxonomy from the top.
    """
    query = prefix.strip().lower()
    code_prefix = [c for c in CATEGORIES if c.lower().startswith(query)]
    subject_prefix = [c for c in CATEGORIES if c.lower().split(".", 1)[-1].startswith(query)]
    in_name = [c for c, name in CATEGORIES.items() if query in name.lower()]
    ordered = list(dict.fromkeys(code_prefix + subject_prefix + in_name))
    return [(code, CATEGORIES[code]) for code in ordered[: max(limit, 0)]]


def categories_key(categories: Sequence[str]) -> str:
    """The canonical text of a category selection: sorted, space-separated (the ledger's and the
    snapshots' key)."""
    return " ".join(sorted(set(categories)))
