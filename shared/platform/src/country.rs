//! Countries as ISO 3166-1 alpha-2 codes.
//!
//! The list is the 249 official ISO 3166-1 entries plus Kosovo (`XK`), as published by
//! GeoNames (www.geonames.org, CC BY 4.0). Note that Namibia is `NA`.

/// Every accepted alpha-2 code, sorted.
pub const ISO_ALPHA2: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A valid ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(String);

/// Not a country code we know.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must be an ISO 3166-1 alpha-2 country code such as \"DE\", got {0:?}")]
pub struct BadCountry(pub String);

impl CountryCode {
    /// Accepts upper or lower case.
    pub fn parse(s: &str) -> Result<Self, BadCountry> {
        let up = s.trim().to_ascii_uppercase();
        if ISO_ALPHA2.binary_search(&up.as_str()).is_ok() {
            Ok(Self(up))
        } else {
            Err(BadCountry(s.to_string()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_real_codes_only() {
        assert!(
            ISO_ALPHA2.windows(2).all(|w| w[0] < w[1]),
            "list must stay sorted"
        );
        assert_eq!(
            CountryCode::parse("de").map(|c| c.to_string()),
            Ok("DE".to_string())
        );
        assert!(CountryCode::parse("NA").is_ok(), "Namibia");
        assert!(CountryCode::parse("XK").is_ok(), "Kosovo");
        assert!(CountryCode::parse("ZZ").is_err());
        assert!(CountryCode::parse("").is_err());
        assert!(CountryCode::parse("DEU").is_err());
    }
}
