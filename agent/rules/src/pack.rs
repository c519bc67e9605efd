//! Rule packs: which rules run with which parameters, read from YAML with every problem
//! reported by line and column.
//!
//! Parsing never stops at the first problem and never silently ignores a key it does not know.

use crate::model::RuleId;
use crate::params::{
    Amounts, Collection, Cycle, Dormant, Fan, HighRiskCountry, LargeValue, LateNight, PassThrough,
    RoundAmount, Structuring, Velocity,
};
use crate::units;
use chrono_tz::Tz;
use marked_yaml::{LoaderOptions, Node};
use rust_decimal::Decimal;

/// The default pack, documented line by line with its sources.
pub const DEFAULT_PACK_YAML: &str = include_str!("../packs/default.yaml");

/// A validated rule pack. A rule is enabled when its field is `Some`.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePack {
    /// Zone that calendar days and night hours are counted in.
    pub timezone: Tz,
    /// Derive the counterparty's side of each transfer (set `false` when the input already holds
    /// both sides of every transfer, or flows would count twice).
    pub counterparty_legs: bool,
    /// `large_value` parameters.
    pub large_value: Option<LargeValue>,
    /// `structuring` parameters.
    pub structuring: Option<Structuring>,
    /// `pass_through` parameters.
    pub pass_through: Option<PassThrough>,
    /// `fan_in` parameters.
    pub fan_in: Option<Fan>,
    /// `fan_out` parameters.
    pub fan_out: Option<Fan>,
    /// `late_night` parameters.
    pub late_night: Option<LateNight>,
    /// `round_amount` parameters.
    pub round_amount: Option<RoundAmount>,
    /// `dormant` parameters.
    pub dormant: Option<Dormant>,
    /// `velocity` parameters.
    pub velocity: Option<Velocity>,
    /// `high_risk_country` parameters.
    pub high_risk_country: Option<HighRiskCountry>,
    /// `cycle` parameters.
    pub cycle: Option<Cycle>,
    /// `collection` parameters.
    pub collection: Option<Collection>,
}

/// One problem in a rule pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackProblem {
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// Dotted path of the offending key, e.g. `rules.structuring.window`.
    pub path: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for PackProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.path, self.message
        )
    }
}

impl RulePack {
    /// A pack with no rules enabled (zone Asia/Shanghai).
    pub fn empty() -> RulePack {
        RulePack {
            timezone: chrono_tz::Asia::Shanghai,
            counterparty_legs: true,
            large_value: None,
            structuring: None,
            pass_through: None,
            fan_in: None,
            fan_out: None,
            late_night: None,
            round_amount: None,
            dormant: None,
            velocity: None,
            high_risk_country: None,
            cycle: None,
            collection: None,
        }
    }

    /// Every implemented rule with its built-in defaults.
    pub fn builtin_defaults() -> RulePack {
        RulePack {
            large_value: Some(LargeValue::default()),
            structuring: Some(Structuring::default()),
            pass_through: Some(PassThrough::default()),
            fan_in: Some(Fan::default()),
            fan_out: Some(Fan::default()),
            late_night: Some(LateNight::default()),
            round_amount: Some(RoundAmount::default()),
            dormant: Some(Dormant::default()),
            velocity: Some(Velocity::default()),
            high_risk_country: Some(HighRiskCountry::default()),
            cycle: Some(Cycle::default()),
            collection: Some(Collection::default()),
            ..RulePack::empty()
        }
    }

    /// The shipped `packs/default.yaml`.
    pub fn default_pack() -> Result<RulePack, Vec<PackProblem>> {
        RulePack::from_yaml(DEFAULT_PACK_YAML)
    }

    /// Parse and validate a pack; on failure returns every problem found, in document order.
    pub fn from_yaml(text: &str) -> Result<RulePack, Vec<PackProblem>> {
        let mut cx = Cx::default();
        let options = LoaderOptions::default().error_on_duplicate_keys(true);
        let root = match marked_yaml::parse_yaml_with_options(0, text, options) {
            Ok(r) => r,
            Err(e) => {
                let (line, column) = load_pos(&e);
                return Err(vec![PackProblem {
                    line,
                    column,
                    path: String::new(),
                    message: format!("not a valid rule pack: {e}"),
                }]);
            }
        };
        let mut pack = RulePack::empty();
        let Some(map) = root.as_mapping() else {
            cx.at(
                &root,
                "",
                "a rule pack must be a mapping with `version` and `rules`",
            );
            return Err(cx.problems);
        };
        let mut seen_rules = false;
        for (key, value) in map.iter() {
            let k = key.as_str();
            match k {
                "version" => {
                    if scalar(value) != Some("1") {
                        cx.at(value, "version", "only `version: 1` exists");
                    }
                }
                "timezone" => match scalar(value).map(|s| s.parse::<Tz>()) {
                    Some(Ok(tz)) => pack.timezone = tz,
                    _ => cx.at(
                        value,
                        "timezone",
                        "must be an IANA zone name such as `Asia/Shanghai`",
                    ),
                },
                "counterparty_legs" => {
                    if let Some(b) = cx.boolean(value, "counterparty_legs") {
                        pack.counterparty_legs = b;
                    }
                }
                "rules" => {
                    seen_rules = true;
                    parse_rules(&mut cx, value, &mut pack);
                }
                _ => cx.key(
                    key.span().start(),
                    k,
                    format!(
                        "unknown key `{k}`; allowed: version, timezone, counterparty_legs, rules"
                    ),
                ),
            }
        }
        if !seen_rules {
            cx.at(
                &root,
                "rules",
                "missing `rules:` (a mapping of rule id to parameters)",
            );
        }
        if cx.problems.is_empty() {
            Ok(pack)
        } else {
            cx.problems.sort_by_key(|p| (p.line, p.column));
            Err(cx.problems)
        }
    }
}

fn load_pos(e: &marked_yaml::LoadError) -> (usize, usize) {
    use marked_yaml::LoadError as E;
    let m = match e {
        E::TopLevelMustBeMapping(m)
        | E::TopLevelMustBeSequence(m)
        | E::UnexpectedAnchor(m)
        | E::UnexpectedTag(m)
        | E::MappingKeyMustBeScalar(m)
        | E::ScanError(m, _) => Some(*m),
        E::DuplicateKey(inner) => inner.key.span().start().copied(),
    };
    m.map_or((0, 0), |m| (m.line(), m.column()))
}

fn scalar(n: &Node) -> Option<&str> {
    n.as_scalar().map(|s| s.as_str())
}

#[derive(Default)]
struct Cx {
    problems: Vec<PackProblem>,
}

impl Cx {
    fn key(&mut self, m: Option<&marked_yaml::Marker>, path: &str, message: String) {
        let (line, column) = m.map_or((0, 0), |m| (m.line(), m.column()));
        self.problems.push(PackProblem {
            line,
            column,
            path: path.to_owned(),
            message,
        });
    }

    fn at(&mut self, n: &Node, path: &str, message: impl Into<String>) {
        self.key(n.span().start(), path, message.into());
    }

    fn text<T>(
        &mut self,
        n: &Node,
        path: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match scalar(n) {
            Some(s) => match f(s) {
                Ok(v) => Some(v),
                Err(m) => {
                    self.at(n, path, m);
                    None
                }
            },
            None => {
                self.at(n, path, "must be a single value, not a list or mapping");
                None
            }
        }
    }

    fn boolean(&mut self, n: &Node, path: &str) -> Option<bool> {
        self.text(n, path, |s| match s {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("`{s}` must be true or false")),
        })
    }

    fn count(&mut self, n: &Node, path: &str) -> Option<usize> {
        self.text(n, path, |s| {
            s.parse::<usize>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("`{s}` must be a whole number of at least 1"))
        })
    }

    fn amounts(&mut self, n: &Node, path: &str) -> Option<Amounts> {
        let items: Vec<&Node> = match n.as_sequence() {
            Some(seq) => seq.iter().collect(),
            None => vec![n],
        };
        let mut out = Amounts::new();
        let mut ok = true;
        for item in items {
            match self.text(item, path, units::amount) {
                Some((d, c)) => {
                    out.insert(c, d);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn countries(&mut self, n: &Node, path: &str) -> Option<Vec<String>> {
        let Some(seq) = n.as_sequence() else {
            self.at(
                n,
                path,
                "must be a list of ISO 3166 alpha-2 codes, e.g. [KP, IR]",
            );
            return None;
        };
        let mut out = Vec::new();
        for item in seq.iter() {
            let c = self.text(item, path, |s| {
                if s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase()) {
                    Ok(s.to_owned())
                } else {
                    Err(format!("`{s}` is not an ISO 3166 alpha-2 code such as KP"))
                }
            })?;
            out.push(c);
        }
        Some(out)
    }
}

/// Apply each `key: value` of a rule's mapping through `set`, which returns `false` for keys the
/// rule does not know. `enabled: false` turns the rule off.
fn each_param(
    cx: &mut Cx,
    node: &Node,
    rule: RuleId,
    allowed: &str,
    mut set: impl FnMut(&mut Cx, &str, &Node, &str) -> bool,
) -> bool {
    let base = format!("rules.{rule}");
    let Some(map) = node.as_mapping() else {
        if scalar(node).is_some_and(str::is_empty) {
            return true;
        }
        cx.at(
            node,
            &base,
            "must be a mapping of parameter: value (or empty for defaults)",
        );
        return false;
    };
    let mut enabled = true;
    for (key, value) in map.iter() {
        let k = key.as_str();
        let path = format!("{base}.{k}");
        if k == "enabled" {
            enabled = cx.boolean(value, &path).unwrap_or(true);
        } else if !set(cx, k, value, &path) {
            cx.key(
                key.span().start(),
                &path,
                format!("unknown parameter `{k}` for rule `{rule}`; allowed: enabled, {allowed}"),
            );
        }
    }
    enabled
}

fn put<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

fn parse_fan(cx: &mut Cx, node: &Node, rule: RuleId) -> Option<Fan> {
    let mut p = Fan::default();
    let on = each_param(
        cx,
        node,
        rule,
        "window, min_many, max_few, min_share",
        |cx, k, v, path| {
            match k {
                "window" => put(&mut p.window_secs, cx.text(v, path, units::duration_secs)),
                "min_many" => put(&mut p.min_many, cx.count(v, path)),
                "max_few" => put(&mut p.max_few, cx.count(v, path)),
                "min_share" => put(&mut p.min_share, cx.text(v, path, units::percent)),
                _ => return false,
            }
            true
        },
    );
    on.then_some(p)
}

fn parse_velocity(cx: &mut Cx, node: &Node) -> Option<Velocity> {
    let mut p = Velocity::default();
    let allowed = "window, baseline, factor, min_volume";
    let on = each_param(cx, node, RuleId::Velocity, allowed, |cx, k, v, path| {
        match k {
            "window" => put(&mut p.window_secs, cx.text(v, path, units::duration_secs)),
            "baseline" => put(&mut p.baseline_secs, cx.text(v, path, units::duration_secs)),
            "factor" => put(&mut p.factor, cx.text(v, path, units::factor)),
            "min_volume" => put(&mut p.min_volume, cx.amounts(v, path)),
            _ => return false,
        }
        true
    });
    if p.baseline_secs < 2 * p.window_secs {
        let m = "baseline must cover at least two windows (a median needs weeks to take it of)";
        cx.at(node, "rules.velocity", m);
    }
    on.then_some(p)
}

fn parse_rules(cx: &mut Cx, node: &Node, pack: &mut RulePack) {
    let Some(map) = node.as_mapping() else {
        cx.at(node, "rules", "must be a mapping of rule id to parameters");
        return;
    };
    for (key, value) in map.iter() {
        let k = key.as_str();
        let Some(rule) = RuleId::parse(k) else {
            let all: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
            cx.key(
                key.span().start(),
                &format!("rules.{k}"),
                format!("unknown rule `{k}`; known rules: {}", all.join(", ")),
            );
            continue;
        };
        match rule {
            RuleId::LargeValue => {
                let mut p = LargeValue::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "cash, company_transfer, individual_transfer, individual_cross_border",
                    |cx, k, v, path| {
                        match k {
                            "cash" => put(&mut p.cash, cx.amounts(v, path)),
                            "company_transfer" => put(&mut p.company_transfer, cx.amounts(v, path)),
                            "individual_transfer" => {
                                put(&mut p.individual_transfer, cx.amounts(v, path))
                            }
                            "individual_cross_border" => {
                                put(&mut p.individual_cross_border, cx.amounts(v, path))
                            }
                            _ => return false,
                        }
                        true
                    },
                );
                pack.large_value = on.then_some(p);
            }
            RuleId::Structuring => {
                let mut p = Structuring::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "window, min_count, min_share, max_share, threshold",
                    |cx, k, v, path| {
                        match k {
                            "window" => {
                                put(&mut p.window_secs, cx.text(v, path, units::duration_secs))
                            }
                            "min_count" => put(&mut p.min_count, cx.count(v, path)),
                            "min_share" => put(&mut p.min_share, cx.text(v, path, units::percent)),
                            "max_share" => put(&mut p.max_share, cx.text(v, path, units::percent)),
                            "threshold" => put(&mut p.threshold, cx.amounts(v, path)),
                            _ => return false,
                        }
                        true
                    },
                );
                if p.min_share > p.max_share {
                    cx.at(
                        value,
                        &format!("rules.{rule}"),
                        "min_share must not exceed max_share",
                    );
                }
                pack.structuring = on.then_some(p);
            }
            RuleId::PassThrough => {
                let mut p = PassThrough::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "window, min_out_share, max_remaining_share, min_inflow",
                    |cx, k, v, path| {
                        match k {
                            "window" => {
                                put(&mut p.window_secs, cx.text(v, path, units::duration_secs))
                            }
                            "min_out_share" => {
                                put(&mut p.min_out_share, cx.text(v, path, units::percent))
                            }
                            "max_remaining_share" => {
                                put(&mut p.max_remaining_share, cx.text(v, path, units::percent))
                            }
                            "min_inflow" => put(&mut p.min_inflow, cx.amounts(v, path)),
                            _ => return false,
                        }
                        true
                    },
                );
                pack.pass_through = on.then_some(p);
            }
            RuleId::FanIn => pack.fan_in = parse_fan(cx, value, rule),
            RuleId::FanOut => pack.fan_out = parse_fan(cx, value, rule),
            RuleId::LateNight => {
                let mut p = LateNight::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "night_start, night_end, min_night_txns, min_night_share, min_counterparties, min_days, days_window",
                    |cx, k, v, path| {
                        match k {
                            "night_start" => {
                                put(&mut p.night_start_min, cx.text(v, path, units::time_of_day))
                            }
                            "night_end" => {
                                put(&mut p.night_end_min, cx.text(v, path, units::time_of_day))
                            }
                            "min_night_txns" => put(&mut p.min_night_txns, cx.count(v, path)),
                            "min_night_share" => {
                                put(&mut p.min_night_share, cx.text(v, path, units::percent))
                            }
                            "min_counterparties" => {
                                put(&mut p.min_counterparties, cx.count(v, path))
                            }
                            "min_days" => put(&mut p.min_days, cx.count(v, path)),
                            "days_window" => put(
                                &mut p.days_window_secs,
                                cx.text(v, path, units::duration_secs),
                            ),
                            _ => return false,
                        }
                        true
                    },
                );
                pack.late_night = on.then_some(p);
            }
            RuleId::RoundAmount => {
                let mut p = RoundAmount::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "multiple, min_count, window",
                    |cx, k, v, path| {
                        match k {
                            "multiple" => put(&mut p.multiple, cx.amounts(v, path)),
                            "min_count" => put(&mut p.min_count, cx.count(v, path)),
                            "window" => {
                                put(&mut p.window_secs, cx.text(v, path, units::duration_secs))
                            }
                            _ => return false,
                        }
                        true
                    },
                );
                pack.round_amount = on.then_some(p);
            }
            RuleId::Dormant => {
                let mut p = Dormant::default();
                let on = each_param(cx, value, rule, "idle, min_amount", |cx, k, v, path| {
                    match k {
                        "idle" => put(&mut p.idle_secs, cx.text(v, path, units::duration_secs)),
                        "min_amount" => put(&mut p.min_amount, cx.amounts(v, path)),
                        _ => return false,
                    }
                    true
                });
                pack.dormant = on.then_some(p);
            }
            RuleId::HighRiskCountry => {
                let mut p = HighRiskCountry::default();
                let on = each_param(cx, value, rule, "countries, list_date", |cx, k, v, path| {
                    match k {
                        "countries" => put(&mut p.countries, cx.countries(v, path)),
                        "list_date" => put(
                            &mut p.list_date,
                            cx.text(v, path, |s| {
                                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                                    .map(|_| s.to_owned())
                                    .map_err(|_| format!("`{s}` must be a date such as 2025-06-13"))
                            }),
                        ),
                        _ => return false,
                    }
                    true
                });
                pack.high_risk_country = on.then_some(p);
            }
            RuleId::Cycle => {
                let mut p = Cycle::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "window, max_hops, min_hops, min_return_share, max_expansions",
                    |cx, k, v, path| {
                        match k {
                            "window" => {
                                put(&mut p.window_secs, cx.text(v, path, units::duration_secs))
                            }
                            "max_hops" => put(&mut p.max_hops, cx.count(v, path)),
                            "min_hops" => put(&mut p.min_hops, cx.count(v, path)),
                            "min_return_share" => {
                                put(&mut p.min_return_share, cx.text(v, path, units::percent))
                            }
                            "max_expansions" => put(&mut p.max_expansions, cx.count(v, path)),
                            _ => return false,
                        }
                        true
                    },
                );
                pack.cycle = on.then_some(p);
            }
            RuleId::Velocity => pack.velocity = parse_velocity(cx, value),
            RuleId::Collection => {
                let mut p = Collection::default();
                let on = each_param(
                    cx,
                    value,
                    rule,
                    "window, min_payers, max_payout_share, min_inflow",
                    |cx, k, v, path| {
                        match k {
                            "window" => {
                                put(&mut p.window_secs, cx.text(v, path, units::duration_secs))
                            }
                            "min_payers" => put(&mut p.min_payers, cx.count(v, path)),
                            "max_payout_share" => {
                                put(&mut p.max_payout_share, cx.text(v, path, units::percent))
                            }
                            "min_inflow" => put(&mut p.min_inflow, cx.amounts(v, path)),
                            _ => return false,
                        }
                        true
                    },
                );
                pack.collection = on.then_some(p);
            }
        }
    }
}

/// Smallest positive share, used to keep shares meaningful.
pub(crate) fn share(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        Decimal::ZERO
    } else {
        part / whole
    }
}
