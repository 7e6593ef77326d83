//! Lambda function `pip`: a thin entrypoint over the shared router.
//! Routes: see `qi_functions::http::lambda_routes::PIP`.
use qi_functions::http::lambda_routes::PIP;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::lambda::run(PIP).await
}
