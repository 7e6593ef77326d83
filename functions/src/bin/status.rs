//! Lambda function `status`: a thin entrypoint over the shared router.
//! Routes: see `qi_functions::http::lambda_routes::STATUS`.
use qi_functions::http::lambda_routes::STATUS;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    qi_functions::lambda::run(STATUS).await
}
