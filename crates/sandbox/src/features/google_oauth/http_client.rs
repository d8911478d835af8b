//! The HTTP client the `oauth2` crate calls the token endpoint through, and the sandbox
//! fetches the provider's keys with. `oauth2` is built without its own HTTP clients (its
//! default one would pull a second `reqwest` into the build), so this implements its
//! `AsyncHttpClient` trait: in process for the mock provider, over the network with the
//! workspace's `reqwest` for the real Google.

use std::future::Future;
use std::pin::Pin;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::error::ApiError;
use crate::features::mock_google;
use crate::state::AppState;

/// Where the provider's endpoints are reached.
#[derive(Debug, Clone)]
pub(crate) enum ProviderHttp {
    /// The mock provider's routes, called inside this process: no socket, and the URL's
    /// host is never dialled, whatever it says.
    InProcess(AppState),
    /// Google over HTTPS. Redirects are not followed: a token endpoint that redirects is
    /// misconfigured or hostile, and following it would carry the client secret along.
    Network(reqwest::Client),
}

/// A client for Google's endpoints: no redirects, a deadline well inside the sandbox's own.
pub(crate) fn network_client() -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(4))
        .build()
        .map_err(|e| ApiError::Internal(format!("the HTTP client could not be built: {e}")))
}

impl ProviderHttp {
    /// Sends one request and reads the whole answer.
    pub(crate) async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ApiError> {
        match self {
            ProviderHttp::InProcess(state) => mock_google::call_in_process(state, request).await,
            ProviderHttp::Network(client) => {
                let request = reqwest::Request::try_from(request)
                    .map_err(|e| ApiError::Internal(format!("request to Google: {e}")))?;
                let url = request.url().clone();
                let answer = client
                    .execute(request)
                    .await
                    .map_err(|e| ApiError::Internal(format!("{url} could not be reached: {e}")))?;
                let mut response = HttpResponse::new(Vec::new());
                *response.status_mut() = answer.status();
                *response.headers_mut() = answer.headers().clone();
                let body = answer
                    .bytes()
                    .await
                    .map_err(|e| ApiError::Internal(format!("{url} answer unreadable: {e}")))?;
                *response.body_mut() = body.to_vec();
                Ok(response)
            }
        }
    }
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, ApiError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
