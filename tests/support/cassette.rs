//! go-vcr cassettes (the terraform provider's recordings of real API traffic), as the tests read
//! them: each interaction's request and response.

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Cassette {
    pub interactions: Vec<Interaction>,
}

#[derive(Deserialize)]
pub struct Interaction {
    pub request: RecordedRequest,
    pub response: RecordedResponse,
}

#[derive(Deserialize)]
pub struct RecordedRequest {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Deserialize)]
pub struct RecordedResponse {
    pub body: String,
    pub code: u16,
}
