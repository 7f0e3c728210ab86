"""Pages of the Standards and Compliance Unit, and the complaint forms open to everyone."""
