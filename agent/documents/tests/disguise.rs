//! Bank and payment-app exports "in disguise", built byte by byte here: delimited text, HTML
//! tables and Excel 2003 XML under a workbook name, Excel's text tricks (`="…"`, `'0012`,
//! trailing tabs), encodings without a byte-order mark, title blocks and summary lines around
//! the table, and quoted fields spanning lines. Every test asserts the resulting cells exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_core::{CellValue, Document, ErrorCode, Sheet};
use docket_documents::{DigitiseError, DigitiseOptions, digitise_bytes};
use encoding_rs::GBK;

fn read(name: &str, bytes: &[u8]) -> Result<Document, DigitiseError> {
    digitise_bytes(name, bytes, &DigitiseOptions::default())
}

fn sheet(name: &str, bytes: &[u8]) -> (String, Sheet) {
    let doc = read(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(doc.sheets.len(), 1, "{name}");
    (doc.source.kind, doc.sheets.into_iter().next().unwrap())
}

fn t(s: &str) -> CellValue {
    CellValue::Text(s.into())
}

const E: CellValue = CellValue::Empty;

fn row(cells: &[&str]) -> Vec<CellValue> {
    cells
        .iter()
        .map(|c| if c.is_empty() { E } else { t(c) })
        .collect()
}

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = GBK.encode(s);
    assert!(!unmappable, "test text must be GBK-encodable");
    bytes.into_owned()
}

fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn broker_tsv_in_gbk_named_xls_with_formula_cells_and_trailing_tabs() {
    let text = "成交明细查询\r\n\
                成交日期\t证券代码\t证券名称\t成交金额\t合同编号\t\r\n\
                =\"2026-01-05\"\t=\"000001\"\t平安银行\t12345.60\t=\"1000345234234223\"\t\r\n\
                =\"2026-01-06\"\t'0001234\t 中国平安 \t-800.00\t1000345234234224\t\t\r\n\
                合计\t\t\t11545.60\r\n";
    let (kind, s) = sheet("broker.xls", &gbk(text));
    assert_eq!(kind, "tsv");
    assert_eq!(
        s.rows,
        vec![
            row(&["成交明细查询", "", "", "", "", "", ""]),
            row(&[
                "成交日期",
                "证券代码",
                "证券名称",
                "成交金额",
                "合同编号",
                "",
                ""
            ]),
            row(&[
                "2026-01-05",
                "000001",
                "平安银行",
                "12345.60",
                "1000345234234223",
                "",
                ""
            ]),
            row(&[
                "2026-01-06",
                "0001234",
                "中国平安",
                "-800.00",
                "1000345234234224",
                "",
                ""
            ]),
            row(&["合计", "", "", "11545.60", "", "", ""]),
        ]
    );
    assert_eq!(
        s.warnings,
        vec!["named .xls but is tab-separated text; read as text".to_string()]
    );
}

#[test]
fn jd_csv_with_a_tab_after_every_value_named_xlsx() {
    // UTF-8 with a byte-order mark; every value carries a tab so Excel keeps it as text.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "京东交易流水\n\
         交易时间,商户名称,交易说明,金额,收/支,交易订单号\n\
         2026-01-05 10:00:01\t,京东商城\t,\"充电宝, 白色\"\t,99.00\t,支出\t,1000345234234223\t\n\
         2026-01-06 09:30:00\t,京东到家\t,水果\t,25.50\t,支出\t,=\"1000345234234224\"\t\n"
            .as_bytes(),
    );
    let (kind, s) = sheet("jd.xlsx", &bytes);
    assert_eq!(kind, "csv");
    assert_eq!(
        s.rows,
        vec![
            row(&["京东交易流水", "", "", "", "", ""]),
            row(&[
                "交易时间",
                "商户名称",
                "交易说明",
                "金额",
                "收/支",
                "交易订单号"
            ]),
            row(&[
                "2026-01-05 10:00:01",
                "京东商城",
                "充电宝, 白色",
                "99.00",
                "支出",
                "1000345234234223"
            ]),
            row(&[
                "2026-01-06 09:30:00",
                "京东到家",
                "水果",
                "25.50",
                "支出",
                "1000345234234224"
            ]),
        ]
    );
    assert_eq!(
        s.warnings,
        vec!["named .xlsx but is comma-separated text; read as text".to_string()]
    );
}

#[test]
fn meituan_title_block_and_summary_do_not_decide_the_table() {
    let mut text = String::from("美团账单明细\n用户名：张三\n");
    // Fifteen lines of notes with no delimiter at all, and one with a single comma.
    for i in 1..=15 {
        text.push_str(&format!("说明{i}：以下为您在美团的交易记录（仅供参考）\n"));
    }
    text.push_str("温馨提示: 金额单位为元, 如有疑问请联系客服\n\n");
    text.push_str(
        "交易创建时间,交易类型,收/支,实付金额,支付方式,备注\n\
         2026-01-05 12:00:00,外卖,支出,¥12.50,微信支付,\n\
         2026-01-06 18:30:00,到店餐饮,支出,¥25.00,美团月付,团购券\n\
         2026-01-07 09:00:00,退款,收入,¥12.50,微信支付,部分退款,重复提交\n\
         \n共3笔\n导出时间：2026-02-01 10:00:00\n",
    );
    let (kind, s) = sheet("美团账单.csv", text.as_bytes());
    assert_eq!(kind, "csv");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.rows.len(), 2 + 15 + 1 + 4 + 2);
    assert!(
        s.rows.iter().all(|r| r.len() == 7),
        "padded to the widest row"
    );
    assert_eq!(s.rows[0], row(&["美团账单明细", "", "", "", "", "", ""]));
    assert_eq!(
        s.rows[17],
        row(&[
            "温馨提示: 金额单位为元",
            "如有疑问请联系客服",
            "",
            "",
            "",
            "",
            ""
        ])
    );
    assert_eq!(
        s.rows[18..22],
        [
            row(&[
                "交易创建时间",
                "交易类型",
                "收/支",
                "实付金额",
                "支付方式",
                "备注",
                ""
            ]),
            row(&[
                "2026-01-05 12:00:00",
                "外卖",
                "支出",
                "¥12.50",
                "微信支付",
                "",
                ""
            ]),
            row(&[
                "2026-01-06 18:30:00",
                "到店餐饮",
                "支出",
                "¥25.00",
                "美团月付",
                "团购券",
                ""
            ]),
            row(&[
                "2026-01-07 09:00:00",
                "退款",
                "收入",
                "¥12.50",
                "微信支付",
                "部分退款",
                "重复提交"
            ]),
        ]
    );
    assert_eq!(s.rows[22], row(&["共3笔", "", "", "", "", "", ""]));
}

#[test]
fn fifteen_undelimited_lines_before_a_semicolon_table() {
    let mut text = String::new();
    for i in 1..=15 {
        text.push_str(&format!("Kontoauszug Zeile {i}\n"));
    }
    text.push_str("Datum;Betrag;Text\n05.01.2026;1,50;Kaffee\n06.01.2026;-12,00;Miete, Januar\n");
    let (kind, s) = sheet("auszug.txt", text.as_bytes());
    assert_eq!(kind, "csv");
    assert_eq!(
        s.rows[15..],
        [
            row(&["Datum", "Betrag", "Text"]),
            row(&["05.01.2026", "1,50", "Kaffee"]),
            row(&["06.01.2026", "-12,00", "Miete, Januar"]),
        ]
    );
    assert_eq!(s.rows[0], row(&["Kontoauszug Zeile 1", "", ""]));
}

#[test]
fn bmo_header_with_leading_space_and_quoted_card_numbers() {
    let text = "Following data is valid as of 20260110103000 (Year/Month/Day/Hour/Minute/Second)\r\n\
                \r\n\r\n\
                First Bank Card,Transaction Type,Date Posted, Transaction Amount,Description\r\n\
                \r\n\r\n\
                '5191230192200110',DEBIT,20260105,-15.97,[DN]TIM HORTONS #1234 \r\n\
                '5191230192200110',CREDIT,20260106,500.00,[CW]PAYROLL DEP \r\n";
    let (_, s) = sheet("bmo.csv", text.as_bytes());
    assert_eq!(
        s.rows,
        vec![
            row(&[
                "Following data is valid as of 20260110103000 (Year/Month/Day/Hour/Minute/Second)",
                "",
                "",
                "",
                ""
            ]),
            row(&[
                "First Bank Card",
                "Transaction Type",
                "Date Posted",
                "Transaction Amount",
                "Description"
            ]),
            row(&[
                "5191230192200110",
                "DEBIT",
                "20260105",
                "-15.97",
                "[DN]TIM HORTONS #1234"
            ]),
            row(&[
                "5191230192200110",
                "CREDIT",
                "20260106",
                "500.00",
                "[CW]PAYROLL DEP"
            ]),
        ]
    );
}

#[test]
fn ocbc_quoted_fields_spanning_lines_stay_one_row() {
    let text = "Account details for:,360 Account 123-456789-001\n\
                Available Balance,\"1,234.56\"\n\
                \n\
                Transaction History\n\
                Transaction date,Value date,Description,Withdrawals (SGD),Deposits (SGD)\n\
                05/01/2026,05/01/2026,\"FAST PAYMENT\nto JOHN TAN\nref 123\",50.00,\n\
                06/01/2026,06/01/2026,\"SALARY\r\nACME PTE LTD\",,\"3,000.00\"\n";
    let (_, s) = sheet("ocbc.csv", text.as_bytes());
    assert_eq!(
        s.rows[3..],
        [
            row(&[
                "Transaction date",
                "Value date",
                "Description",
                "Withdrawals (SGD)",
                "Deposits (SGD)"
            ]),
            row(&[
                "05/01/2026",
                "05/01/2026",
                "FAST PAYMENT\nto JOHN TAN\nref 123",
                "50.00",
                ""
            ]),
            row(&[
                "06/01/2026",
                "06/01/2026",
                "SALARY\r\nACME PTE LTD",
                "",
                "3,000.00"
            ]),
        ]
    );
    assert_eq!(s.rows.len(), 6);
}

#[test]
fn utf16_without_byte_order_mark_both_endians() {
    let text = "交易日期\t金额\t摘要\n2026-01-05\t12.50\t一号店\n2026-01-06\t-3.00\t退款\n";
    let want = vec![
        row(&["交易日期", "金额", "摘要"]),
        row(&["2026-01-05", "12.50", "一号店"]),
        row(&["2026-01-06", "-3.00", "退款"]),
    ];
    for (name, big, want_kind) in [
        ("be.csv", true, "csv"),
        ("le.xls", false, "tsv"),
        ("be.txt", true, "tsv"),
    ] {
        let (kind, s) = sheet(name, &utf16(text, big));
        assert_eq!(kind, want_kind, "{name}");
        assert_eq!(s.rows, want, "{name}");
    }
}

#[test]
fn utf16_without_mark_that_breaks_names_the_offset() {
    let mut bytes = utf16("Date,Amount\n2026-01-05,1.00\n", true);
    let at = bytes.len();
    // An unpaired low surrogate.
    bytes.extend_from_slice(&[0xDC, 0x00, 0x00, b'\n']);
    for name in ["broken.csv", "broken.xls"] {
        let err = read(name, &bytes).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadEncoding, "{err}");
        assert!(
            err.message.contains("UTF-16BE without a byte-order mark"),
            "{err}"
        );
        assert!(err.message.contains(&format!("offset {at}")), "{err}");
        assert!(err.message.contains("re-export"), "{err}");
    }
}

#[test]
fn gbk_whose_first_64_kib_is_ascii_still_decodes() {
    let mut text = String::from("Date,Amount,Memo\n");
    while text.len() < 70 * 1024 {
        text.push_str("2026-01-05,1.00,ATM withdrawal\n");
    }
    text.push_str("2026-01-06,2.00,工资 代发\n");
    let bytes = gbk(&text);
    let (kind, s) = sheet("gbk.csv", &bytes);
    assert_eq!(kind, "csv");
    assert_eq!(s.rows[1], row(&["2026-01-05", "1.00", "ATM withdrawal"]));
    assert_eq!(
        s.rows.last().unwrap(),
        &row(&["2026-01-06", "2.00", "工资 代发"])
    );
    // A short GBK file with an ASCII head decodes the same way.
    let (_, s) = sheet("short.xls", &gbk("Date,Memo\n2026-01-05,转账\n"));
    assert_eq!(s.rows[1], row(&["2026-01-05", "转账"]));
}

#[test]
fn undecodable_text_names_the_offsets_and_what_to_do() {
    let mut bytes = b"Date,Amount\n2026-01-05,".to_vec();
    let at = bytes.len();
    bytes.extend_from_slice(&[0xFF, 0xFF, b'\n']);
    let err = read("bad.csv", &bytes).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadEncoding);
    assert!(
        err.message
            .contains(&format!("first bad byte at offset {at}")),
        "{err}"
    );
    assert!(err.message.contains("re-export the file as UTF-8"), "{err}");
}

#[test]
fn html_table_saved_as_xls() {
    let html = "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\">\n\
                <head><meta charset=\"gbk\"><style>.t{mso-number-format:\"\\@\";}</style></head>\n\
                <body><table><tr><td colspan=\"4\">账户明细 6222 0000 1111</td></tr></table>\n\
                <table border=\"1\">\n\
                <tr><th>交易日期</th><th>摘要</th><th>金额</th><th>流水号</th></tr>\n\
                <tr><td>2026-01-05</td><td>工资&nbsp;</td><td>1,000.00</td>\
                <td class=\"t\">=\"1000345234234223\"</td></tr>\n\
                <tr><td>2026-01-06<td>A &amp; B<br/>转账<td>-12.50<td>'0001234\n\
                </table></body></html>";
    let (kind, s) = sheet("网银导出.xls", &gbk(html));
    assert_eq!(kind, "csv");
    assert_eq!(
        s.rows,
        vec![
            row(&["账户明细 6222 0000 1111", "", "", ""]),
            row(&["交易日期", "摘要", "金额", "流水号"]),
            row(&["2026-01-05", "工资", "1,000.00", "1000345234234223"]),
            row(&["2026-01-06", "A & B\n转账", "-12.50", "0001234"]),
        ]
    );
    assert_eq!(s.merged, vec![(0, 0, 0, 3)]);
    assert_eq!(
        s.warnings,
        vec![
            "named .xls but is an HTML table; read as text".to_string(),
            "the page holds 2 tables; their rows follow one another in this sheet".to_string(),
        ]
    );
}

#[test]
fn html_page_without_a_table_is_refused_with_what_to_do() {
    let html = "<!DOCTYPE html><html><body><h1>会话已超时</h1><p>请重新登录</p></body></html>";
    let err = read("export.xls", html.as_bytes()).unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedFile);
    assert!(err.message.contains("HTML page without a table"), "{err}");
    assert!(err.message.contains("download the export again"), "{err}");
}

#[test]
fn excel_2003_xml_saved_as_xls() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="明细">
  <Table>
   <Row><Cell><Data ss:Type="String">交易日期</Data></Cell><Cell><Data ss:Type="String">金额</Data></Cell><Cell><Data ss:Type="String">账号</Data></Cell></Row>
   <Row><Cell><Data ss:Type="DateTime">2026-01-05T00:00:00.000</Data></Cell><Cell><Data ss:Type="Number">-12.5</Data></Cell><Cell><Data ss:Type="String">0001234</Data></Cell></Row>
  </Table>
 </Worksheet>
</Workbook>"#;
    let (_, s) = sheet("export.xls", xml.as_bytes());
    assert_eq!(
        s.rows,
        vec![
            row(&["交易日期", "金额", "账号"]),
            vec![
                CellValue::Date("2026-01-05".into()),
                CellValue::Number("-12.5".into()),
                t("0001234")
            ],
        ]
    );
    assert_eq!(
        s.warnings,
        vec!["named .xls but is an Excel 2003 XML spreadsheet; read as text".to_string()]
    );
}

#[test]
fn text_under_other_binary_names_is_still_refused() {
    let err = read("statement.pdf", b"date,amount\n2026-01-05,1.00\n").unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedFile);
    assert!(
        err.message
            .contains("named .pdf but contains plain text; if it is a CSV export, rename it"),
        "{err}"
    );
}
