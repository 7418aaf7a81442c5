"""The bibliography: every work the checks, their docstrings and the report cite, once.

Each entry has a key (first author, year, a letter where one author has two works in a year),
its authors, year, title, where it appeared and its DOI where it has one. The report's method
notes render their reference lists from here with :func:`cite`; docstrings cite by author,
year and key, ``Mebane (2008) [mebane2008]``, and print no full entry; the documentation
renders every entry once (:func:`bibliography_markdown`, ``docs/bibliography.md``).

Two works by Mebane are cited and are not to be confused: the second-digit (2BL) test
(``mebane2008``, the Brookings chapter) and the fraud-probabilities paper that discusses the
Klimek et al. fingerprint model (``mebane2016``, MPSA).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """One work: ``Authors (year). Title. Venue. doi:DOI``."""

    key: str
    authors: str
    year: int
    title: str
    venue: str
    doi: str = ""

    def citation(self) -> str:
        """The full citation as the report prints it (titles are not translated)."""
        text = f"{self.authors} ({self.year}). {self.title}. {self.venue}."
        return f"{text} doi:{self.doi}" if self.doi else text


_ENTRIES: tuple[Reference, ...] = (
    Reference("aslam2008", "Aslam, J. A., Popa, R. A. & Rivest, R. L.", 2008,
              "On auditing elections when precincts have different sizes",
              "USENIX/ACCURATE Electronic Voting Technology Workshop (EVT '08)"),
    Reference("bayarri2000", "Bayarri, M. J. & Berger, J. O.", 2000,
              "P values for composite null models",
              "Journal of the American Statistical Association 95(452), 1127–1142",
              "10.1080/01621459.2000.10474309"),
    Reference("beber2012", "Beber, B. & Scacco, A.", 2012,
              "What the numbers say: a digit-based test for election fraud",
              "Political Analysis 20(2), 211–234", "10.1093/pan/mps003"),
    Reference("benjamini1995", "Benjamini, Y. & Hochberg, Y.", 1995,
              "Controlling the false discovery rate: a practical and powerful approach to "
              "multiple testing", "Journal of the Royal Statistical Society B 57(1), 289–300",
              "10.1111/j.2517-6161.1995.tb02031.x"),
    Reference("benjamini2001", "Benjamini, Y. & Yekutieli, D.", 2001,
              "The control of the false discovery rate in multiple testing under dependency",
              "Annals of Statistics 29(4), 1165–1188", "10.1214/aos/1013699998"),
    Reference("besag1991", "Besag, J. & Clifford, P.", 1991, "Sequential Monte Carlo p-values",
              "Biometrika 78(2), 301–304", "10.1093/biomet/78.2.301"),
    Reference("borghesi2012", "Borghesi, C., Raimbault, J.-C. & Bouchaud, J.-P.", 2012,
              "Election turnout statistics in many countries: similarities, differences, and a "
              "diffusive field model for decision-making", "PLoS ONE 7(5), e36289",
              "10.1371/journal.pone.0036289"),
    Reference("butler2007", "Butler, R. W.", 2007, "Saddlepoint Approximations with Applications",
              "Cambridge University Press", "10.1017/CBO9780511619083"),
    Reference("canay2017", "Canay, I. A., Romano, J. P. & Shaikh, A. M.", 2017,
              "Randomization tests under an approximate symmetry assumption",
              "Econometrica 85(3), 1013–1030", "10.3982/ECTA13081"),
    Reference("clopper1934", "Clopper, C. J. & Pearson, E. S.", 1934,
              "The use of confidence or fiducial limits illustrated in the case of the "
              "binomial", "Biometrika 26(4), 404–413", "10.1093/biomet/26.4.404"),
    Reference("cochran1977", "Cochran, W. G.", 1977, "Sampling Techniques, 3rd ed",
              "Wiley (§5A, §6.3)"),
    Reference("connor1969", "Connor, R. J. & Mosimann, J. E.", 1969,
              "Concepts of independence for proportions with a generalization of the "
              "Dirichlet distribution", "Journal of the American Statistical Association "
              "64(325), 194–206", "10.1080/01621459.1969.10500963"),
    Reference("cordero2006", "Cordero, A., Wagner, D. & Dill, D.", 2006,
              "The role of dice in election audits – extended abstract",
              "IAVoSS Workshop on Trustworthy Elections (WOTE 2006)"),
    Reference("daniels1987", "Daniels, H. E.", 1987, "Tail probability approximations",
              "International Statistical Review 55(1), 37–48", "10.2307/1403269"),
    Reference("deckert2011", "Deckert, J., Myagkov, M. & Ordeshook, P. C.", 2011,
              "Benford's law and the detection of election fraud",
              "Political Analysis 19(3), 245–268", "10.1093/pan/mpr014"),
    Reference("estok2002", "Estok, M., Nevitte, N. & Cowan, G.", 2002,
              "The Quick Count and Election Observation: An NDI Handbook for Civic "
              "Organizations and Political Parties",
              "National Democratic Institute for International Affairs, Washington, DC"),
    Reference("gelman1996", "Gelman, A., Meng, X.-L. & Stern, H.", 1996,
              "Posterior predictive assessment of model fitness via realized discrepancies",
              "Statistica Sinica 6(4), 733–807"),
    Reference("gelman2024", "Gelman, A.", 2024,
              "Suspicious data pattern in recent Venezuelan election",
              "Statistical Modeling, Causal Inference, and Social Science (blog), 31 July 2024"),
    Reference("gosselin2011", "Gosselin, F.", 2011,
              "A new calibrated Bayesian internal goodness-of-fit method: sampled posterior "
              "p-values as simple and general p-values that allow double use of the data",
              "PLoS ONE 6(3), e14770", "10.1371/journal.pone.0014770"),
    Reference("hartigan1985", "Hartigan, J. A. & Hartigan, P. M.", 1985,
              "The dip test of unimodality", "Annals of Statistics 13(1), 70–84",
              "10.1214/aos/1176346577"),
    Reference("hicken2017", "Hicken, A. & Mebane, W. R.", 2017, "A Guide to Election Forensics",
              "USAID / IIE, DRG Center working paper"),
    Reference("hoeffding1956", "Hoeffding, W.", 1956,
              "On the distribution of the number of successes in independent trials",
              "Annals of Mathematical Statistics 27(3), 713–721", "10.1214/aoms/1177728178"),
    Reference("hoeffding1963", "Hoeffding, W.", 1963,
              "Probability inequalities for sums of bounded random variables",
              "Journal of the American Statistical Association 58(301), 13–30",
              "10.1080/01621459.1963.10500830"),
    Reference("idrobo2022", "Idrobo, N., Kronick, D. & Rodríguez, F.", 2022,
              "Do shifts in late-counted votes signal fraud? Evidence from Bolivia",
              "Journal of Politics 84(4), 2202–2215", "10.1086/719639"),
    Reference("iglewicz1993", "Iglewicz, B. & Hoaglin, D. C.", 1993,
              "How to Detect and Handle Outliers", "ASQC Quality Press"),
    Reference("johnson2007", "Johnson, V. E.", 2007,
              "Bayesian model assessment using pivotal quantities",
              "Bayesian Analysis 2(4), 719–733", "10.1214/07-BA229"),
    Reference("kleinman1973", "Kleinman, J. C.", 1973, "Proportions with extraneous variance",
              "Journal of the American Statistical Association 68(341), 46–54",
              "10.1080/01621459.1973.10481332"),
    Reference("klimek2012", "Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S.", 2012,
              "Statistical detection of systematic election irregularities",
              "PNAS 109(41), 16469–16473", "10.1073/pnas.1210722109"),
    Reference("knijnenburg2009", "Knijnenburg, T. A., Wessels, L. F. A., Reinders, M. J. T. & "
              "Shmulevich, I.", 2009, "Fewer permutations, more accurate P-values",
              "Bioinformatics 25(12), i161–i168", "10.1093/bioinformatics/btp211"),
    Reference("kobak2016", "Kobak, D., Shpilkin, S. & Pshenichnikov, M. S.", 2016,
              "Integer percentages as electoral falsification fingerprints",
              "Annals of Applied Statistics 10(1), 54–73", "10.1214/16-AOAS904"),
    Reference("kuonen1999", "Kuonen, D.", 1999,
              "Saddlepoint approximations for distributions of quadratic forms in normal "
              "variables", "Biometrika 86(4), 929–935", "10.1093/biomet/86.4.929"),
    Reference("lecam1960", "Le Cam, L.", 1960,
              "An approximation theorem for the Poisson binomial distribution",
              "Pacific Journal of Mathematics 10(4), 1181–1197", "10.2140/pjm.1960.10.1181"),
    Reference("lindeman2012", "Lindeman, M. & Stark, P. B.", 2012,
              "A gentle introduction to risk-limiting audits",
              "IEEE Security & Privacy 10(5), 42–49", "10.1109/MSP.2012.56"),
    Reference("lindeman2012b", "Lindeman, M., Stark, P. B. & Yates, V. S.", 2012,
              "BRAVO: ballot-polling risk-limiting audits to verify outcomes",
              "USENIX EVT/WOTE '12"),
    Reference("lohr2010", "Lohr, S. L.", 2010, "Sampling: Design and Analysis, 2nd ed",
              "Brooks/Cole, Boston"),
    Reference("lugannani1980", "Lugannani, R. & Rice, S.", 1980,
              "Saddle point approximation for the distribution of the sum of independent "
              "random variables", "Advances in Applied Probability 12(2), 475–490",
              "10.2307/1426607"),
    Reference("mebane2006", "Mebane, W. R.", 2006,
              "Election forensics: vote counts and Benford's law",
              "Summer Meeting of the Political Methodology Society, UC Davis"),
    Reference("mebane2007", "Mebane, W. R.", 2007, "Statistics for digits",
              "Summer Meeting of the Political Methodology Society, Penn State University"),
    Reference("mebane2008", "Mebane, W. R.", 2008,
              "Election forensics: the second-digit Benford's law test and recent American "
              "presidential elections",
              "In Alvarez, Hall & Hyde (eds.), Election Fraud, Brookings, 162–181",
              "10.7864/j.ctt6wpf8p.14"),
    Reference("mebane2016", "Mebane, W. R.", 2016,
              "Election forensics: frauds tests and observation-level frauds probabilities",
              "Annual Meeting of the Midwest Political Science Association"),
    Reference("meng1994", "Meng, X.-L.", 1994, "Posterior predictive p-values",
              "Annals of Statistics 22(3), 1142–1160", "10.1214/aos/1176325622"),
    Reference("mundlak1978", "Mundlak, Y.", 1978,
              "On the pooling of time series and cross section data",
              "Econometrica 46(1), 69–85", "10.2307/1913646"),
    Reference("myagkov2009", "Myagkov, M., Ordeshook, P. C. & Shakin, D.", 2009,
              "The Forensics of Election Fraud: Russia and Ukraine",
              "Cambridge University Press", "10.1017/CBO9780511581199"),
    Reference("nigrini2012", "Nigrini, M. J.", 2012,
              "Benford's Law: Applications for Forensic Accounting, Auditing, and Fraud "
              "Detection", "Wiley", "10.1002/9781119203094"),
    Reference("phipson2010", "Phipson, B. & Smyth, G. K.", 2010,
              "Permutation p-values should never be zero: calculating exact p-values when "
              "permutations are randomly drawn",
              "Statistical Applications in Genetics and Molecular Biology 9(1), article 39",
              "10.2202/1544-6115.1585"),
    Reference("pickands1975", "Pickands, J.", 1975,
              "Statistical inference using extreme order statistics",
              "Annals of Statistics 3(1), 119–131", "10.1214/aos/1176343003"),
    Reference("robins2000", "Robins, J. M., van der Vaart, A. & Ventura, V.", 2000,
              "Asymptotic distribution of P values in composite null models",
              "Journal of the American Statistical Association 95(452), 1143–1156",
              "10.1080/01621459.2000.10474310"),
    Reference("robinson1982", "Robinson, J.", 1982,
              "Saddlepoint approximations for permutation tests and confidence intervals",
              "Journal of the Royal Statistical Society B 44(1), 91–101",
              "10.1111/j.2517-6161.1982.tb01190.x"),
    Reference("rozenas2017", "Rozenas, A.", 2017,
              "Detecting election fraud from irregularities in vote-share distributions",
              "Political Analysis 25(1), 41–56", "10.1017/pan.2016.9"),
    Reference("stark2008", "Stark, P. B.", 2008, "Conservative statistical post-election audits",
              "Annals of Applied Statistics 2(2), 550–581", "10.1214/08-AOAS161"),
    Reference("stark2009", "Stark, P. B.", 2009,
              "Risk-limiting postelection audits: conservative P-values from common "
              "probability inequalities", "IEEE Transactions on Information Forensics and "
              "Security 4(4), 1005–1014", "10.1109/TIFS.2009.2034190"),
    Reference("stark2010", "Stark, P. B.", 2010,
              "Super-simple simultaneous single-ballot risk-limiting audits",
              "USENIX EVT/WOTE '10"),
    Reference("tao2024", "Tao, T.", 2024,
              "What are the odds, II: the Venezuelan presidential election",
              "What's new (blog), 2 August 2024"),
    Reference("valliant2000", "Valliant, R., Dorfman, A. H. & Royall, R. M.", 2000,
              "Finite Population Sampling and Inference: A Prediction Approach", "Wiley"),
    Reference("yekutieli2008", "Yekutieli, D.", 2008,
              "Hierarchical false discovery rate-controlling methodology",
              "Journal of the American Statistical Association 103(481), 309–316",
              "10.1198/016214507000001373"),
)

#: Key -> entry, for every work the project cites.
BIBLIOGRAPHY: dict[str, Reference] = {r.key: r for r in _ENTRIES}


def cite(*keys: str) -> tuple[str, ...]:
    """The full citations of ``keys``, in the order given (``KeyError`` naming an unknown
    key, so a typo fails at import of the module that cites it)."""
    unknown = [k for k in keys if k not in BIBLIOGRAPHY]
    if unknown:
        raise KeyError(f"not in audit.references: {', '.join(unknown)}")
    return tuple(BIBLIOGRAPHY[k].citation() for k in keys)


def bibliography_markdown() -> str:
    """The bibliography as the Markdown page of the documentation (``docs/bibliography.md``):
    every entry once, by key, the way docstrings cite it (``Klimek et al. (2012)
    [klimek2012]``)."""
    lines = ["# Bibliography", "",
             "Every work the checks, their docstrings and the report cite, once. Docstrings cite "
             "a work by author, year and key (`Klimek et al. (2012) [klimek2012]`); the report's "
             "method notes print the full entries. Generated from `audit/references.py` "
             "(`tests/test_references.py` checks that this page is current).", ""]
    lines += [f"- **[{r.key}]** {r.citation()}" for r in _ENTRIES]
    return "\n".join(lines) + "\n"


__all__ = ["BIBLIOGRAPHY", "Reference", "bibliography_markdown", "cite"]
