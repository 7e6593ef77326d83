//! Lambda function `reminders`: the data-entry reminder job
//! (`qi_functions::app::reminders`), invoked daily by EventBridge Scheduler.
//! Not behind the API: it serves no route.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::lambda::run_reminders().await
}
