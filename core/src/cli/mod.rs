//! The docker-style command language shared by both terminals.
