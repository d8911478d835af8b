//! Exports of Backend Dojo content: PDF, Postman, .http and Markdown.
