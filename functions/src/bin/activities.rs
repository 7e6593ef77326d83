//! Lambda function `activities`: a thin entrypoint over the shared router.
//! Routes: see `qi_functions::http::lambda_routes::ACTIVITIES`.
use qi_functions::http::lambda_routes::ACTIVITIES;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::lambda::run(ACTIVITIES).await
}
