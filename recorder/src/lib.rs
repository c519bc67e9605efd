//! Records UI workflows from global input capture (planned; see issue 7).
