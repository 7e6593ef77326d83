//! Lambda function `signup`: a thin entrypoint over the shared router.
//! Routes: see `qi_functions::http::lambda_routes::SIGNUP`.
use qi_functions::http::lambda_routes::SIGNUP;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::lambda::run(SIGNUP).await
}
