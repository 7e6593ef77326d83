//! Lambda function `coaching`: a thin entrypoint over the shared router.
//! Routes: see `qi_functions::http::lambda_routes::COACHING`.
use qi_functions::http::lambda_routes::COACHING;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::lambda::run(COACHING).await
}
