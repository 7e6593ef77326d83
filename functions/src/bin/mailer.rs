//! Lambda function `mailer`: delivers the transactional outbox. The table's
//! stream (keys only) invokes it with batches of new `OUTBOX#` items
//! (`qi_functions::mail_lambda::run_mailer`). Not behind the API.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::mail_lambda::run_mailer().await
}
