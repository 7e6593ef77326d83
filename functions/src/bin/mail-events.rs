//! Lambda function `mail-events`: Amazon SES bounce and complaint
//! notifications (through SNS) mark the address as undeliverable
//! (`qi_functions::mail_lambda::run_mail_events`). Not behind the API.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::mail_lambda::run_mail_events().await
}
