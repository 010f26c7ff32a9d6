"""Open data and audit exports of the funds app: 360Giving, the ledger journal, the fund
statement, the audit trail. Reads only; every module streams rows so a large fund exports in
bounded memory."""
