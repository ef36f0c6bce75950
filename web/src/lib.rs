//! The layerlab browser lab.
