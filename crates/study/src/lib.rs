//! Study data: progress, notes, flashcards scheduled with FSRS, STAR stories, mock interviews.
