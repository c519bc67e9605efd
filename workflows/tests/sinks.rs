//! The `rest` and `mysql` sinks (and the credential rules now shared with `postgres`): typed
//! plan values with their defaults, and every rule with its code and position.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use docket_workflow::{
    Action, DbUrl, HttpMethod, PostgresUrl, Problem, RestAuth, Sink, load, render_problems,
};

/// A workflow whose third step writes to `sink` (a flow mapping on line 10).
fn flow(sink: &str) -> String {
    format!(
        "version: 1
name: demo
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
  - id: out
    write:
      sink: {sink}
      from: read
      table: transactions
      columns: {{ amount: record.amount }}
"
    )
}

fn sink(s: &str) -> Sink {
    let yaml = flow(s);
    let plan = load(&yaml, Path::new("/flows"))
        .unwrap_or_else(|p| panic!("{}", render_problems("t.yaml", &yaml, &p)));
    match &plan.steps[2].action {
        Action::Write(w) => w.sink.clone(),
        other => panic!("not a write step: {other:?}"),
    }
}

fn problems(s: &str) -> Vec<Problem> {
    let yaml = flow(s);
    match load(&yaml, Path::new("/flows")) {
        Ok(_) => panic!("expected problems in:\n{yaml}"),
        Err(p) => p,
    }
}

fn codes(s: &str) -> Vec<&'static str> {
    match load(&flow(s), Path::new("/flows")) {
        Ok(_) => Vec::new(),
        Err(p) => p.into_iter().map(|p| p.code).collect(),
    }
}

fn summary(s: &str) -> Vec<(&'static str, usize, usize, String)> {
    problems(s)
        .into_iter()
        .map(|p| (p.code, p.line, p.column, p.path))
        .collect()
}

#[test]
fn rest_sink_defaults_and_every_auth_form() {
    assert_eq!(
        sink("{ rest: { url: 'https://bo.example/api/tx' } }"),
        Sink::Rest {
            url: "https://bo.example/api/tx".into(),
            method: HttpMethod::Post,
            auth: None,
            timeout: Duration::from_secs(10),
            max_attempts: 5,
        }
    );
    assert_eq!(
        sink(
            "{ rest: { url: 'https://bo.example/api/tx', method: PUT, timeout: 2m, max_attempts: 50, auth: { basic: { user: docket, password_secret: bo-pass } } } }"
        ),
        Sink::Rest {
            url: "https://bo.example/api/tx".into(),
            method: HttpMethod::Put,
            auth: Some(RestAuth::Basic {
                user: "docket".into(),
                password_secret: "bo-pass".into()
            }),
            timeout: Duration::from_secs(120),
            max_attempts: 50,
        }
    );
    let Sink::Rest { auth, .. } = sink(
        "{ rest: { url: 'http://127.0.0.1:8080/tx', auth: { header: { name: X-Api-Key, value_secret: bo-key } } } }",
    ) else {
        panic!("rest sink")
    };
    assert_eq!(
        auth,
        Some(RestAuth::Header {
            name: "X-Api-Key".into(),
            value_secret: "bo-key".into()
        })
    );
    let Sink::Rest { auth, .. } =
        sink("{ rest: { url: 'https://bo.example', auth: { bearer_secret: bo-token } } }")
    else {
        panic!("rest sink")
    };
    assert_eq!(
        auth,
        Some(RestAuth::Bearer {
            secret: "bo-token".into()
        })
    );
}

#[test]
fn rest_sink_rules() {
    // Positions: the sink mapping starts at column 13 of line 10.
    assert_eq!(
        summary(
            "{ rest: { url: 'https://u:pw@bo.example/api', timeout: soon, max_attempts: 51, method: post } }"
        ),
        vec![
            ("W029", 10, 28, "steps[2].write.sink.rest.url".to_owned()),
            (
                "W026",
                10,
                68,
                "steps[2].write.sink.rest.timeout".to_owned()
            ),
            (
                "W023",
                10,
                88,
                "steps[2].write.sink.rest.max_attempts".to_owned()
            ),
            (
                "W005",
                10,
                100,
                "steps[2].write.sink.rest.method".to_owned()
            ),
        ]
    );
    let p = problems("{ rest: { url: 'https://u:pw@bo.example/api' } }");
    assert_eq!(
        p[0].hint.as_deref(),
        Some("put the token in the secret store and name it in `auth`: `docket secret set NAME`")
    );
    assert_eq!(codes("{ rest: { url: 'ftp://bo.example' } }"), ["W028"]);
    assert_eq!(codes("{ rest: { url: 'bo.example/api' } }"), ["W028"]);
    assert_eq!(
        codes("{ rest: { url: 'http://bo.example', auth: { bearer_secret: t } } }"),
        ["W032"]
    );
    assert!(
        codes("{ rest: { url: 'http://localhost/x', auth: { bearer_secret: t } } }").is_empty()
    );
    assert!(codes("{ rest: { url: 'http://bo.example' } }").is_empty());
    assert_eq!(
        summary(
            "{ rest: { url: 'https://bo.example', auth: { bearer_secret: t, basic: { user: u, password_secret: p } } } }"
        ),
        vec![(
            "W017",
            10,
            76,
            "steps[2].write.sink.rest.auth.basic".to_owned()
        )]
    );
    assert_eq!(
        codes("{ rest: { url: 'https://bo.example', auth: {} } }"),
        ["W017"]
    );
    assert_eq!(
        codes("{ rest: { url: 'https://bo.example', auth: { bearer_secret: 'Bearer xyz' } } }"),
        ["W025"]
    );
    assert_eq!(
        codes(
            "{ rest: { url: 'https://bo.example', auth: { header: { name: 'X Api Key', value_secret: k } } } }"
        ),
        ["W025"]
    );
    assert_eq!(
        codes(
            "{ rest: { url: 'https://bo.example', auth: { basic: { user: 'u:pw', password_secret: p } } } }"
        ),
        ["W025"]
    );
    assert_eq!(
        codes("{ rest: { url: 'https://bo.example', auth: { basic: { user: u } } } }"),
        ["W004"]
    );
    assert_eq!(codes("{ rest: { method: POST } }"), ["W004"]);
}

#[test]
fn mysql_sink_takes_a_url_or_a_secret() {
    assert_eq!(
        sink("{ mysql: { url: 'mysql://docket@127.0.0.1:3306/backoffice' } }"),
        Sink::Mysql {
            url: DbUrl::Literal("mysql://docket@127.0.0.1:3306/backoffice".into())
        }
    );
    assert_eq!(
        sink("{ mysql: { url_secret: bo-mysql } }"),
        Sink::Mysql {
            url: PostgresUrl::Secret("bo-mysql".into())
        }
    );
    assert_eq!(
        summary("{ mysql: { url: 'mysql://h/db', url_secret: s } }"),
        vec![("W019", 10, 15, "steps[2].write.sink.mysql".to_owned())]
    );
    assert_eq!(codes("{ mysql: {} }"), ["W019"]);
    assert_eq!(
        summary("{ mysql: { url: 'postgres://h/db' } }"),
        vec![("W028", 10, 29, "steps[2].write.sink.mysql.url".to_owned())]
    );
    assert_eq!(codes("{ mysql: { url_secret: 'My Secret' } }"), ["W025"]);
}

#[test]
fn database_url_literals_never_carry_a_password() {
    for s in [
        "{ mysql: { url: 'mysql://root:S3cret-pw@127.0.0.1:3306/test' } }",
        "{ mysql: { url: 'mysql://root:@127.0.0.1/test' } }",
        "{ mysql: { url: 'mysql://root:S3cret/pw@127.0.0.1/test' } }",
        "{ postgres: { url: 'postgres://docket:S3cret-pw@127.0.0.1/docket' } }",
    ] {
        let p = problems(s);
        assert_eq!(p.len(), 1, "{s}: {p:?}");
        // The URL's opening quote: the sink mapping starts at column 13.
        let column = 13 + s.find('\'').unwrap();
        assert_eq!(
            (p[0].code, p[0].line, p[0].column),
            ("W029", 10, column),
            "{s}"
        );
        assert_eq!(
            p[0].hint.as_deref(),
            Some(
                "store the whole URL with `docket secret set NAME` and write `url_secret: NAME` instead of `url`"
            )
        );
        let rendered = render_problems("t.yaml", &flow(s), &p);
        assert!(!rendered.contains("S3cret"), "{rendered}");
        assert!(!format!("{p:?}").contains("S3cret"));
    }
    // A wrong scheme with a password in it is described without the password.
    let p = problems("{ postgres: { url: 'mysql://root:S3cret@h/db' } }");
    assert_eq!(p[0].code, "W029");
    let p = problems("{ postgres: { url: 'pg:root:S3cret@h/db' } }");
    assert_eq!(p[0].code, "W016");
    assert_eq!(codes("{ postgres: { url_secret: 'S3cret!' } }"), ["W025"]);
    assert!(
        !format!("{:?}", problems("{ postgres: { url_secret: 'S3cret!' } }")).contains("S3cret")
    );
}
