//! Paginated lists: `page` and `per_page` arguments, a `pagination` object in the answer.

use serde::{Deserialize, Serialize};

/// Items asked for per page: well under the API's maximum of 200, as Krystal's own tools do.
pub(crate) const PER_PAGE: u32 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    pub current_page: u32,
    /// Omitted or null for large sets (over 1000 rows).
    #[serde(default)]
    pub total_pages: Option<u32>,
    #[serde(default)]
    pub total: Option<u64>,
    pub per_page: u32,
    #[serde(default)]
    pub large_set: bool,
}

impl Pagination {
    /// True when no page follows the one that held `items_on_page` items.
    pub fn is_last(&self, items_on_page: usize) -> bool {
        if items_on_page == 0 {
            return true;
        }
        match self.total_pages {
            Some(total) if !self.large_set => self.current_page >= total,
            _ => items_on_page < self.per_page as usize,
        }
    }
}

/// One page of a paginated list endpoint.
pub trait Page {
    type Item;
    fn pagination(&self) -> &Pagination;
    fn into_items(self) -> Vec<Self::Item>;
}

/// Declares the page type of a list endpoint whose items sit under `$field`.
macro_rules! page_of {
    ($(#[$doc:meta])* $name:ident, $field:ident: $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            pub pagination: $crate::api::pagination::Pagination,
            #[serde(default)]
            pub $field: Vec<$item>,
        }

        impl $crate::api::pagination::Page for $name {
            type Item = $item;
            fn pagination(&self) -> &$crate::api::pagination::Pagination {
                &self.pagination
            }
            fn into_items(self) -> Vec<$item> {
                self.$field
            }
        }
    };
}
pub(crate) use page_of;

#[cfg(test)]
mod tests {
    use super::*;

    fn page(current: u32, total_pages: Option<u32>, large_set: bool) -> Pagination {
        Pagination {
            current_page: current,
            total_pages,
            total: None,
            per_page: 2,
            large_set,
        }
    }

    #[test]
    fn last_page_by_total_pages() {
        assert!(!page(1, Some(2), false).is_last(2));
        assert!(page(2, Some(2), false).is_last(1));
    }

    #[test]
    fn large_sets_end_on_a_short_page() {
        assert!(!page(7, None, true).is_last(2));
        assert!(page(8, None, true).is_last(1));
        assert!(page(8, None, true).is_last(0));
    }
}
