//! Three-letter state codes of ICAO Doc 9303: ISO 3166-1 alpha-3 plus ICAO's own.

use std::fmt;

/// ISO 3166-1 alpha-3 codes.
const ISO_ALPHA3: &[&str] = &[
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// Codes ICAO Doc 9303 Part 3 adds to ISO 3166-1 (British nationals of other kinds,
/// the United Nations and its agencies, stateless persons, refugees, and a few more).
const ICAO_ONLY: &[&str] = &[
    "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XXA", "XXB", "XXC", "XXX", "EUE",
    "XOM", "XPO", "XCC", "XES", "XMP", "XBA", "XIM", "XDC", "RKS",
];

/// A state, organisation or status code as ICAO Doc 9303 writes it; Germany (`D<<` in an MRZ) is stored as `DEU`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(String);

impl CountryCode {
    /// The zone's Chinese side.
    pub fn chn() -> Self {
        Self("CHN".into())
    }

    /// The zone's Kazakh side.
    pub fn kaz() -> Self {
        Self("KAZ".into())
    }

    /// Reads a code typed by a person or read from an MRZ (`D`, `D<<`, `d`, ` KAZ `).
    pub fn parse(raw: &str) -> Result<Self, CountryCodeError> {
        let code = raw.trim().to_ascii_uppercase();
        let code = code.trim_end_matches('<');
        if code == "D" {
            return Ok(Self("DEU".into()));
        }
        if code.is_empty() {
            return Err(CountryCodeError::Empty);
        }
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CountryCodeError::Malformed);
        }
        if ISO_ALPHA3.contains(&code) || ICAO_ONLY.contains(&code) {
            Ok(Self(code.to_owned()))
        } else {
            Err(CountryCodeError::Unknown)
        }
    }

    /// The three letters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a country code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryCodeError {
    /// Nothing given.
    Empty,
    /// Not three letters.
    Malformed,
    /// Three letters that name no state or ICAO code.
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn germany_and_irregular_codes() {
        assert_eq!(CountryCode::parse("D<<").map(|c| c.0), Ok("DEU".into()));
        assert_eq!(CountryCode::parse("d").map(|c| c.0), Ok("DEU".into()));
        assert_eq!(CountryCode::parse(" kaz ").map(|c| c.0), Ok("KAZ".into()));
        assert_eq!(CountryCode::parse("XXA").map(|c| c.0), Ok("XXA".into()));
        assert_eq!(CountryCode::parse("GBD").map(|c| c.0), Ok("GBD".into()));
        assert_eq!(CountryCode::parse("ZZZ"), Err(CountryCodeError::Unknown));
        assert_eq!(CountryCode::parse("K1Z"), Err(CountryCodeError::Malformed));
        assert_eq!(CountryCode::parse("KA"), Err(CountryCodeError::Malformed));
        assert_eq!(CountryCode::parse(""), Err(CountryCodeError::Empty));
        assert_eq!(CountryCode::parse("ÄÖÜ"), Err(CountryCodeError::Malformed));
    }

    #[test]
    fn the_list_is_sorted_and_has_no_duplicates() {
        assert!(ISO_ALPHA3.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_ALPHA3.len(), 249);
        assert!(ICAO_ONLY.iter().all(|c| !ISO_ALPHA3.contains(c)));
    }
}
